"""``flask backup`` and ``flask restore-backup`` (also ``deploy/manage.sh backup``); the systemd timer
``deploy/systemd/edangwu-backup.timer`` runs the first every night."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from server.backups import archive, files
from server.backups.database import BackupError


def register(app: Flask) -> None:
    @app.cli.command("backup")
    @click.option("--no-prune", is_flag=True, help="keep every earlier backup this time")
    def backup_command(no_prune: bool) -> None:
        """Back up the database and the stored files into BACKUP_DIR, then delete what retention lets go."""
        config = current_app.config
        try:
            taken = archive.create()
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        stored = "，".join(f"{name} {count} 个" for name, count in taken.manifest["files"].items())
        click.echo(f"备份完成：{taken.path}（数据库版本 {taken.manifest['alembic_revision']}；文件：{stored}）")
        if not no_prune:
            for path in archive.prune(config["BACKUP_KEEP_DAILY"], config["BACKUP_KEEP_WEEKLY"]):
                click.echo(f"已按保留策略删除旧备份 {path.name}")

    @app.cli.command("restore-backup")
    @click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option("--database-url", required=True, help="the fresh database to restore into (never the live one)")
    @click.option("--create-database", is_flag=True, help="CREATE DATABASE first (PostgreSQL)")
    @click.option(
        "--files-into",
        type=click.Path(file_okay=False, path_type=Path),
        help="unpack the stored files under this folder (a drill); default: add the missing ones to their folders",
    )
    def restore_command(path: Path, database_url: str, create_database: bool, files_into: Path | None) -> None:
        """Restore a backup into a fresh, empty database and add the stored files that are missing."""
        from server.backups.restore import restore

        target = normalise_url(database_url)
        if target == current_app.config["SQLALCHEMY_DATABASE_URI"]:
            raise click.ClickException("--database-url is this deployment's own database: restore into a fresh one")
        sets = files.file_sets(current_app.config)
        destinations = {name: (files_into / name if files_into else directory) for name, directory in sets.items()}
        if files_into:
            destinations[files.SECRET_KEY] = files_into
        try:
            result = restore(path, target, destinations, create_database=create_database)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"已恢复到新数据库，数据库版本 {result.revision}")
        for table, count in result.counts.items():
            click.echo(f"  {table}: {count} 行")
        for name, count in result.files.items():
            if name == files.SECRET_KEY and not count:
                continue  # production keeps its key in the environment, not in backups
            click.echo(f"  {name}: 新增 {count} 个文件 → {destinations[name]}")
        anchors = destinations[files.ANCHORS]
        click.echo(
            f"校验会议记录链：DATABASE_URL=<新数据库> MINUTES_ANCHOR_DIR={anchors} flask --app wsgi verify-minutes"
        )


def normalise_url(url: str) -> str:
    """postgres:// and postgresql:// as the app spells them (postgresql+psycopg://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
