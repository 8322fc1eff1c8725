"""Restoring a backup into a fresh database (and its files into their folders or a folder of the
operator's choosing), then saying what came back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from server.backups import archive, database, files

#: what the operator reads after a restore to judge it plausible
COUNTED = ("organisations", "members", "meetings", "attendances", "minutes", "dues_payments")


@dataclass
class Restored:
    revision: str | None
    counts: dict[str, int]
    files: dict[str, int] = field(default_factory=dict)


def restore(path: Path, target_url: str, destinations: dict[str, Path], *, create_database: bool = False) -> Restored:
    """Check the backup, load its database into ``target_url`` (created first if asked), add its files."""
    backup = archive.load(path)
    if create_database and database.is_postgres(target_url):
        database.create_postgres_database(target_url)
    database.restore(backup.database_file, target_url)
    added = files.extract(path / archive.FILES_TAR, destinations)
    revision, counts = _summary(target_url)
    return Restored(revision, counts, added)


def _summary(url: str) -> tuple[str | None, dict[str, int]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            revision = connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
            tables = set(sa.inspect(connection).get_table_names())
            counts = {
                table: connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # names from COUNTED only
                for table in COUNTED
                if table in tables
            }
    finally:
        engine.dispose()
    return revision, counts
