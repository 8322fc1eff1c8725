"""Dumping and restoring the database itself: pg_dump/pg_restore for PostgreSQL, SQLite's backup API.

The PostgreSQL tools are given the connection through libpq's environment variables, never on the
command line, where every user of the machine could read the password in the process list.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url


class BackupError(RuntimeError):
    """A backup or restore step failed; the message says which and why (for the operator's terminal)."""


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def libpq_environment(url: str) -> dict[str, str]:
    """PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (and PGSSLMODE) for ``url``, over this process's own."""
    parsed = make_url(url)
    env = dict(os.environ)
    values = {
        "PGHOST": parsed.host,
        "PGPORT": parsed.port,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
        "PGSSLMODE": parsed.query.get("sslmode"),
    }
    env.update({name: str(value) for name, value in values.items() if value})
    return env


def _run(command: list[str], url: str) -> None:
    finished = subprocess.run(command, env=libpq_environment(url), capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise BackupError(f"{command[0]} failed ({finished.returncode}): {finished.stderr.strip()}")


def dump(url: str, directory: Path) -> Path:
    """Write the database at ``url`` into ``directory``; returns the file written."""
    if is_postgres(url):
        target = directory / "database.dump"
        # Custom format: compressed, and pg_restore can restore it table by table or in parallel.
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"], url)
        return target
    target = directory / "database.sqlite3"
    source = sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # a consistent snapshot while the web and the worker go on writing
    finally:
        copy.close()
        source.close()
    return target


def _sqlite_path(url: str) -> str:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"cannot back up an in-memory SQLite database ({url})")
    return database


def _postgres_tables(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(
                sa.text("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
            )
    finally:
        engine.dispose()


def create_postgres_database(url: str) -> None:
    """CREATE DATABASE for ``url``'s database, connected to the server's ``postgres`` database."""
    parsed: URL = make_url(url)
    name = parsed.database or ""
    engine = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote(name)
            connection.execute(sa.text(f"CREATE DATABASE {quoted} ENCODING 'UTF8' TEMPLATE template0"))
    finally:
        engine.dispose()


def restore(dump_file: Path, url: str) -> None:
    """Load ``dump_file`` into the empty database at ``url``; refuses a database that holds tables."""
    if is_postgres(url):
        if _postgres_tables(url):
            raise BackupError(f"database {make_url(url).database} is not empty: restore only into a fresh database")
        # One transaction: a failed restore leaves the database as empty as it was.
        command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        _run([*command, f"--dbname={make_url(url).database}", str(dump_file)], url)
        return
    target = Path(_sqlite_path(url))
    if target.exists() and target.stat().st_size:
        raise BackupError(f"{target} exists: restore only into a new SQLite file")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{dump_file}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
