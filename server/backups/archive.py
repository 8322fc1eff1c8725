"""Taking one backup, listing them, pruning old ones."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app

from server.backups import database, files, retention
from server.db import db, utcnow

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FILES_TAR = "files.tar"


@dataclass
class Backup:
    path: Path
    manifest: dict[str, Any]

    @property
    def database_file(self) -> Path:
        return self.path / self.manifest["database_file"]


def backup_dir() -> Path:
    path = Path(current_app.config["BACKUP_DIR"])
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _revision() -> str | None:
    import sqlalchemy as sa

    try:
        return db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    finally:
        db.session.rollback()


def create(now: datetime | None = None) -> Backup:
    """Take a backup now: anchors first, then the database, then the uploaded files.

    Why that order: the anchor file copied before the dump is never ahead of it (a restore then verifies
    clean), and files copied after the dump include every file the dumped rows name.
    """
    config = current_app.config
    started = time.monotonic()
    name = retention.name_for(now or utcnow())
    final = backup_dir() / name
    partial = backup_dir() / f".partial-{name}"
    partial.mkdir(mode=0o700)
    try:
        anchors_first = partial / "anchors-at-start.tsv"
        anchor_file = files.file_sets(config)[files.ANCHORS] / files.ANCHOR_FILE
        if anchor_file.is_file():
            shutil.copyfile(anchor_file, anchors_first)
        revision = _revision()
        dumped = database.dump(config["SQLALCHEMY_DATABASE_URI"], partial)
        counts = files.write_tar(config, partial / FILES_TAR, anchors_first if anchors_first.exists() else None)
        anchors_first.unlink(missing_ok=True)
        manifest = {
            "created_at": (now or utcnow()).isoformat(),
            "database": "postgresql" if database.is_postgres(config["SQLALCHEMY_DATABASE_URI"]) else "sqlite",
            "alembic_revision": revision,
            "database_file": dumped.name,
            "files": counts,
            "sha256": {part.name: _sha256(part) for part in (dumped, partial / FILES_TAR)},
            "seconds": round(time.monotonic() - started, 1),
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        for part in partial.iterdir():
            part.chmod(0o600)  # the dump holds the member register: for the service user's eyes only
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    log.info("backup %s written in %.1f s", final, manifest["seconds"])
    return Backup(final, manifest)


def load(path: Path) -> Backup:
    """A backup directory, its parts checked against the manifest's hashes."""
    manifest_file = path / MANIFEST
    if not manifest_file.is_file():
        raise database.BackupError(f"{path} is not a backup (no {MANIFEST}; an unfinished one starts with .partial-)")
    manifest = json.loads(manifest_file.read_text())
    for part, expected in manifest["sha256"].items():
        if _sha256(path / part) != expected:
            raise database.BackupError(f"{path / part} is damaged: its SHA-256 differs from the manifest")
    return Backup(path, manifest)


def listing() -> list[Path]:
    return sorted(p for p in backup_dir().iterdir() if p.is_dir() and retention.taken_at(p.name))


def prune(keep_daily: int, keep_weekly: int) -> list[Path]:
    """Delete the backups retention does not keep; returns what was deleted."""
    backups = listing()
    keep = retention.to_keep([p.name for p in backups], keep_daily, keep_weekly)
    deleted = [p for p in backups if p.name not in keep]
    for path in deleted:
        shutil.rmtree(path)
        log.info("backup %s deleted (retention: %d daily, %d weekly)", path, keep_daily, keep_weekly)
    return deleted
