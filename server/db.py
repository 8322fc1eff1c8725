"""Database plumbing shared by every domain package: the declarative base, UTC times, helpers."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from psycopg.rows import namedtuple_row
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


class DriverStatement:
    """A Core statement compiled once for PostgreSQL and run on the request's psycopg connection itself.

    For the hottest paths (every member request's token, an exam's 交卷): for a one-row statement,
    SQLAlchemy's execution context, result object and per-statement events cost more CPU than the driver's
    own work (bench/README.md, "Exam submissions"). The SQL text is the one SQLAlchemy would send (its
    casts included), in the same transaction (the session's connection, committed or rolled back as usual),
    and the bind values pass through the same type processors. A failure goes through SQLAlchemy's own
    handling: the same exception classes (``IntegrityError``…), and a connection the server dropped
    discards the pool as for any statement. Rows come back as psycopg gives them: named tuples, aware
    datetimes (in the session's time zone), enum columns as their stored strings. SQLite has no driver
    path: callers run the Core statement with ``core_execute`` there.

    SQLAlchemy's ``before_cursor_execute`` listeners do not see these statements.
    """

    def __init__(self, statement: sa.Executable) -> None:
        from sqlalchemy.dialects.postgresql.psycopg import dialect

        self.statement = statement
        compiled = statement.compile(dialect=dialect())
        self.sql = str(compiled)
        processors = compiled._bind_processors  # the column types' conversions (enums, UTC times, arrays)
        self._processors = tuple(processors.items())
        # Values the statement was built with (``status = 'in_progress'``), converted once.
        self._fixed = {
            key: processors[key](value) if key in processors else value
            for key, value in compiled.params.items()
            if value is not None
        }

    def run(self, connection: sa.Connection, params: dict):
        """Execute on ``connection`` (:func:`postgresql_connection`); returns the psycopg cursor, rows unread."""
        params = dict(params)
        for key, process in self._processors:
            if key in params:
                params[key] = process(params[key])
        params = self._fixed | params  # converted once, when the statement was built
        cursor = connection.connection.driver_connection.cursor(row_factory=namedtuple_row)
        try:
            cursor.execute(self.sql, params)
        except Exception as error:
            connection._handle_dbapi_exception(error, self.sql, params, cursor, None)
        return cursor


def driver_or_core(statement: DriverStatement, params: dict):
    """``statement`` in the request's transaction: on the driver's own path on PostgreSQL, as its Core
    statement on SQLite. Either answer has ``fetchone``, ``fetchall`` and ``rowcount``."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        return statement.run(connection, params)
    return connection.execute(statement.statement, params)


def postgresql_connection() -> sa.Connection | None:
    """The request session's connection (its transaction begun) on PostgreSQL, for :class:`DriverStatement`;
    None on SQLite."""
    connection = db.session.connection()
    return connection if connection.dialect.name == "postgresql" else None
