"""Fixtures for fault tests: the people and things a failure hits, and processes run as deployed."""

from __future__ import annotations

import io
import itertools
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from huey.storage import SqliteStorage
from openpyxl import Workbook

from server.auth.models import Role
from server.db import db
from server.meetings.models import Meeting
from server.members.excel import COLUMNS
from server.members.models import Member, MemberImport
from server.tasks import huey
from server.wechat.emulator.testing import RunningEmulator
from tests.faults.processes import FlaskProcess
from tests.meetings.factories import schedule_theme_day_tomorrow

IMPORT = "/admin/members/import"
SEND = "/cgi-bin/message/subscribe/send"


def environment_for(app: Flask, emulator: RunningEmulator, **extra: str) -> dict[str, str]:
    """A web or worker process of this test run: the same database, job queue, WeChat and mini-program.

    Taken from the live app and queue rather than from os.environ, which a second import of
    tests/conftest.py (as ``tests.conftest``) points at another temporary folder.
    """
    queue = {"JOBS_DB": huey.storage.filename} if isinstance(huey.storage, SqliteStorage) else {}
    return {
        **os.environ,  # SECRET_KEY, and REDIS_URL when the run is on Redis
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "HUEY_NAME": huey.name,
        **queue,
        "MP_CONFIG": app.config["MP_CONFIG"],
        "WECHAT_API_BASE": emulator.base_url,
        "WECHAT_APPID": app.config["WECHAT_APPID"],
        "WECHAT_SECRET": app.config["WECHAT_SECRET"],
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@pytest.fixture
def start_worker(app: Flask, emulator: RunningEmulator, tmp_path: Path) -> Iterator[Callable[..., FlaskProcess]]:
    """``start_worker()`` runs ``flask --app wsgi worker`` on this test run's queue and database."""
    started: list[FlaskProcess] = []

    def start(**env: str) -> FlaskProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        worker = FlaskProcess(["worker", "--workers", "1", "--no-periodic"], environment_for(app, emulator, **env), log)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def secretary(tree, make_admin, browser):
    """The secretary of 甲一支部, logged in."""
    make_admin("shuji", Role.SECRETARY, tree["a1"], display_name="王书记")
    return browser("shuji")


def register_workbook(count: int, branch: str = "甲一支部") -> bytes:
    """A register of ``count`` members as a secretary fills the template: one member per row."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("党员名册")
    sheet.append([column.title for column in COLUMNS])
    values = {"gender": "男", "status": "预备党员", "dues_category": "在职", "branch": branch}
    for n in range(count):
        row = values | {"name": f"党员{n:05d}"}
        sheet.append([row.get(column.key) for column in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload_register(secretary, content: bytes) -> int:
    """Upload as the secretary's browser does; the import's id from the redirect to its status page."""
    response = secretary.post(
        IMPORT, data={"file": (io.BytesIO(content), "党员名册.xlsx")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/admin/members/import/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def committed(statement: sa.Executable):
    """What other processes have committed: the test's own session starts a fresh transaction first."""
    db.session.rollback()
    return db.session.execute(statement)


def import_row(import_id: int) -> sa.Row:
    return committed(sa.select(MemberImport.__table__).where(MemberImport.id == import_id)).one()


def member_names() -> list[str]:
    return list(committed(sa.select(Member.name).order_by(Member.name)).scalars())


_wechat_users = itertools.count()  # the emulator lives for the whole run: new users keep counts apart


@pytest.fixture
def bound_members(tree, make_member, phone, emulator) -> Callable[..., list[str]]:
    """``bound_members(3)``: members of 甲一支部 who bound WeChat and allowed two meeting reminders each.

    Two consents, so that a reminder sent twice would arrive twice instead of being refused by WeChat.
    Returns their openids in the order they were registered.
    """

    def make(count: int) -> list[str]:
        openids = []
        for n in range(count):
            number, user = f"1380000{n:04d}", f"wx-reminded-{next(_wechat_users)}"
            make_member(tree["a1"], f"党员{n}", phone=number)
            assert phone(user).bind_phone(number).status_code == 200
            emulator.grant_subscription(user, ["tmpl_meeting", "tmpl_meeting"])
            openids.append(emulator.openid(user))
        return openids

    return make


@pytest.fixture
def meeting_tomorrow(tree) -> Meeting:
    """A theme day of 甲一支部 starting in 20 hours: its reminder is due."""
    return schedule_theme_day_tomorrow(tree["a1"])


def messages_per_member(emulator: RunningEmulator, openids: list[str]) -> list[int]:
    return [len(emulator.messages(openid)) for openid in openids]
