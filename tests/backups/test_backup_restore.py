"""A backup restored into a fresh database gives back the member register, the attendance and a minutes
chain that still verifies against its anchors; the stored files come back beside it.

On PostgreSQL: pg_dump into a backup, pg_restore into a new database. On SQLite: the online backup API,
into a new file. The chain is verified by the operator's own command (``flask verify-minutes``) run
against the restored database, in a process of its own, as after a real restore.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from server.backups import archive
from server.config import PROJECT_ROOT, database_url
from server.db import db
from server.meetings.minutes import export_anchors
from server.meetings.models import AttendanceStatus
from tests.database import USING_POSTGRES
from tests.meetings.test_minutes import attend, build_meeting, finalised_minutes

IMAGE_NAME = "0123456789abcdef0123456789abcdef.jpg"


@pytest.fixture
def target_url(tmp_path):
    """A database that does not exist yet, dropped afterwards."""
    if not USING_POSTGRES:
        yield f"sqlite:///{tmp_path / 'restored' / 'edangwu.db'}"
        return
    url = sa.engine.make_url(database_url())
    target = url.set(database=f"{url.database}_restored")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    drop = sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    with admin.connect() as connection:
        connection.execute(drop)
    yield target.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(drop)
    admin.dispose()


def _register(url: str) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            members = connection.execute(sa.text("SELECT id, name, org_id, phone FROM members ORDER BY id")).all()
            attendance = connection.execute(
                sa.text("SELECT meeting_id, member_id, status FROM attendances ORDER BY meeting_id, member_id")
            ).all()
            chain = connection.execute(sa.text("SELECT id, content_hash, prev_hash FROM minutes ORDER BY id")).all()
    finally:
        engine.dispose()
    return [tuple(members), tuple(attendance), tuple(chain)]


def _verify_minutes(url: str, anchors: Path, app) -> subprocess.CompletedProcess:
    env = os.environ | {
        "DATABASE_URL": url,
        "MINUTES_ANCHOR_DIR": str(anchors),
        "MP_CONFIG": app.config["MP_CONFIG"],
        "WECHAT_APPID": app.config["WECHAT_APPID"],
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "verify-minutes"]
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_a_restored_backup_gives_back_the_register_the_attendance_and_a_verified_chain(
    app, tree, make_member, tmp_path, monkeypatch, target_url
):
    branch = tree["a1"]
    meeting = build_meeting(branch)
    attend(meeting, make_member(branch, "张三"))
    attend(meeting, make_member(branch, "李四"), AttendanceStatus.LEAVE)
    finalised_minutes(meeting)
    finalised_minutes(build_meeting(branch, title="十二月主题党日"), topic="学习党史")
    export_anchors()
    db.session.commit()
    images = Path(app.config.get("NEWS_IMAGE_DIR") or Path(os.environ["INSTANCE_DIR"]) / "newspaper" / "images")
    images.mkdir(parents=True, exist_ok=True)
    (images / IMAGE_NAME).write_bytes(b"\xff\xd8\xff a picture")
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(tmp_path / "backups"))
    runner = app.test_cli_runner()

    taken = runner.invoke(args=["backup"])
    assert taken.exit_code == 0, taken.output
    (backup,) = archive.listing()
    restored_files = tmp_path / "restored-files"
    into = ["--database-url", target_url, "--create-database", "--files-into", str(restored_files)]
    restored = runner.invoke(args=["restore-backup", str(backup), *into])

    assert restored.exit_code == 0, restored.output
    assert "members: 2 行" in restored.output and "minutes: 2 行" in restored.output
    live = _register(app.config["SQLALCHEMY_DATABASE_URI"])
    assert _register(target_url) == live
    assert [name for _, name, _, _ in live[0]] == ["张三", "李四"] and len(live[1]) == 2
    assert (restored_files / "newspaper-images" / IMAGE_NAME).read_bytes() == b"\xff\xd8\xff a picture"
    verified = _verify_minutes(target_url, restored_files / "minutes-anchors", app)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"甲一支部（#{branch.id}）：正常，已校验 2 条记录" in verified.stdout


def test_a_restore_refuses_a_database_that_holds_data(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(tmp_path / "backups"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup"]).exit_code == 0
    (backup,) = archive.listing()
    live = app.config["SQLALCHEMY_DATABASE_URI"]
    refused = runner.invoke(args=["restore-backup", str(backup), "--database-url", live])
    assert refused.exit_code == 1 and "restore into a fresh one" in refused.output


def test_a_damaged_backup_is_refused_before_anything_is_restored(app, tmp_path, monkeypatch, target_url):
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(tmp_path / "backups"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup"]).exit_code == 0
    (backup,) = archive.listing()
    dump = next(p for p in backup.iterdir() if p.name.startswith("database."))
    dump.write_bytes(dump.read_bytes()[:-10])
    refused = runner.invoke(args=["restore-backup", str(backup), "--database-url", target_url, "--create-database"])
    assert refused.exit_code == 1 and "is damaged" in refused.output
