"""Database plumbing shared by every domain package: the declarative base, UTC times, helpers."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

# Constraint names are fixed so that migrations can drop and alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite has no time zones and hands back naive values; PostgreSQL uses ``timestamptz``.
    Either way the application only ever sees aware UTC datetimes.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def path_string(length: int) -> sa.types.TypeEngine:
    """A string compared byte-wise, so that ``LIKE 'prefix%'`` can use a b-tree index on PostgreSQL."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def keep_on_error() -> None:
    """Ask the request wrapper to commit this session's writes even if the request ends in an error.

    For facts that must survive a refusal, such as a counted failed login.
    """
    db.session().info["keep_on_error"] = True


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite leaves foreign keys off and locks readers out of writers unless told otherwise.

    The embedded default runs the web server and the job worker as two processes on one file:
    WAL lets them read while the other writes, and the busy timeout makes a writer wait its turn.
    """
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def core_execute(statement: sa.Executable, params: dict | None = None) -> sa.CursorResult:
    """Run a Core statement in the request's transaction, skipping the ORM session's per-statement work.

    For hot paths (a check-in) whose statements touch no ORM objects: unlike ``db.session.execute``
    it does not autoflush pending objects first.
    """
    return db.session.connection().execute(statement, params)


def insert_unless_present(table: sa.Table, columns: list[str], unique: list[str], returning: str) -> sa.TextClause:
    """``INSERT ... ON CONFLICT (unique) DO NOTHING RETURNING returning``: the same SQL on PostgreSQL and SQLite.

    It tells in one statement whether this call created the row, with no savepoint: a concurrent
    insert of the same key waits for the other transaction and then does nothing. Written as text,
    built once from our own column names and typed by the columns, because SQLAlchemy's ON CONFLICT
    constructs are not cached and would be compiled again on every call.
    """
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(':' + name for name in columns)}) "
        f"ON CONFLICT ({', '.join(unique)}) DO NOTHING RETURNING {returning}"
    )
    binds = [sa.bindparam(name, type_=table.c[name].type) for name in columns]
    return sa.text(sql).bindparams(*binds).columns(table.c[returning])
