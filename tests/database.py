"""The test database's contents: emptied before every test, or put back to a snapshot taken once.

Seeding the demo committee (a year of dues for 144 members) takes seconds; putting its rows back takes a
fraction of one. A snapshot is every table's rows, read once in this process; ``restore`` empties every
table and writes exactly those rows back, with their ids, in one transaction, so a test that writes leaves
nothing behind for the next. It works alike on SQLite and PostgreSQL while the app's connections (the live
server's threads, the job worker) stay open, which dropping and copying a database would not allow.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from server.config import database_url
from server.db import db

USING_POSTGRES = database_url().startswith("postgresql")


def _tables() -> list[sa.Table]:
    """Parents before children, the order in which rows can be inserted."""
    return db.metadata.sorted_tables


def _empty_postgres(connection: sa.Connection) -> None:
    """Delete the rows of the tables that have any and restart the sequences that were used.

    Not ``TRUNCATE … RESTART IDENTITY`` of every table: that replaces each table's files and cost half a
    second before every test, where most tests leave a few rows in a few tables. Children go first, so no
    foreign key refuses a delete. Two round trips, whatever the number of tables.
    """
    tables = _tables()
    probe = " UNION ALL ".join(f"SELECT '{table.name}' WHERE EXISTS (SELECT 1 FROM {table.name})" for table in tables)
    filled = set(connection.scalars(sa.text(probe)))
    deletes = [f"DELETE FROM {table.name};" for table in reversed(tables) if table.name in filled]
    restart = (
        "SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), 1, false) FROM pg_sequences"
        " WHERE schemaname = current_schema() AND last_value IS NOT NULL"  # NULL: not used since its restart
    )
    connection.execute(sa.text(" ".join([*deletes, restart])))


def _empty(connection: sa.Connection) -> None:
    if USING_POSTGRES:
        _empty_postgres(connection)
    else:
        # A pooled connection that has not seen a schema changed through another (a migration test going down
        # and up) drops a pragma set before its first statement, which reloads the schema: a statement first.
        connection.execute(sa.text("SELECT count(*) FROM sqlite_master"))
        connection.execute(sa.text("PRAGMA defer_foreign_keys=ON"))  # checked at commit, when all are gone
        # ON DELETE RESTRICT is not deferred: a parent organisation deleted before its child, in whatever
        # order SQLite visits the rows, fails at once. Detached from each other, the order does not matter.
        connection.execute(sa.text("UPDATE organisations SET parent_id = NULL WHERE parent_id IS NOT NULL"))
        for table in reversed(_tables()):
            connection.execute(sa.text(f"DELETE FROM {table.name}"))


def empty_tables() -> None:
    """Every table emptied and its ids starting from 1 again."""
    with db.engine.begin() as connection:
        _empty(connection)


def _continue_ids(connection: sa.Connection, tables: list[sa.Table]) -> None:
    """After rows were written with their ids, PostgreSQL's sequences must continue after the largest.

    Only for tables with rows: setval(…, MAX(id)) marks the sequence used, so the next emptying restarts it.
    """
    setvals = [
        f"setval(pg_get_serial_sequence('{table.name}', '{column.name}'),"
        f" (SELECT MAX({column.name}) FROM {table.name}))"  # as if just used: emptying restarts it
        for table in tables
        for column in table.primary_key.columns
        if column.autoincrement and isinstance(column.type, sa.Integer)
    ]
    if setvals:
        connection.execute(sa.text(f"SELECT {', '.join(setvals)}"))  # NULL for a key without a sequence


def _rows(connection: sa.Connection, table: sa.Table) -> list[dict]:
    # by primary key: a parent (an organisation above another, say) was written before its children
    return [dict(row) for row in connection.execute(table.select().order_by(*table.primary_key.columns)).mappings()]


@dataclass(frozen=True)
class Snapshot:
    """Every table's rows at one moment, in this process's memory."""

    rows: dict[str, list[dict]]

    @classmethod
    def take(cls) -> Snapshot:
        with db.engine.connect() as connection:
            return cls({table.name: _rows(connection, table) for table in _tables()})

    def restore(self) -> None:
        with db.engine.begin() as connection:
            _empty(connection)
            filled = [table for table in _tables() if self.rows[table.name]]
            for table in filled:
                connection.execute(table.insert(), self.rows[table.name])
            if USING_POSTGRES:
                _continue_ids(connection, filled)
