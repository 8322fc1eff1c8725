"""The mini-program's own API client (run by jest in node) against a live server and the WeChat emulator."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from server.audit.models import AuditLog
from server.auth.member_services import issue_invite_code
from server.auth.models import Role
from server.config import PROJECT_ROOT
from server.db import db, utcnow
from server.meetings.codes import meeting_code
from server.meetings.models import Attendance, AttendanceStatus, CheckinMethod, Meeting, MeetingKind
from server.meetings.services import create_meeting
from server.timezone import local_date
from tests.meetings.factories import add_meeting, attend

JEST = PROJECT_ROOT / "node_modules" / ".bin" / "jest"


def _held_meetings(tree, member) -> int:
    """Two meetings of 甲一支部 that ended an hour ago: ``member`` attended one. Returns their local year."""
    start = utcnow() - timedelta(hours=3)
    held = [
        add_meeting(MeetingKind.BRANCH_ASSEMBLY if n else MeetingKind.PARTY_LECTURE, tree["a1"], start, title=title)
        for n, title in enumerate(("已开的党课", "已开的党员大会"))
    ]
    attend(held[0], member)
    return local_date(start).year


VENUE = (39.909, 116.3978)


def _projected_link(browser, organiser) -> dict:
    """A fenced meeting and the link its projected QR encodes, read from the live screen as it serves it."""
    start = utcnow() + timedelta(minutes=10)
    meeting = create_meeting(
        kind=MeetingKind.PARTY_LECTURE,
        title="扫一扫签到的党课",
        organiser=organiser,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        geofence=(*VENUE, 200),
    )
    db.session.commit()
    fragment = browser("shuji").get(f"/admin/meetings/{meeting.id}/live/code").get_data(as_text=True)
    link = re.search(r'data-code="([^"]+)"', fragment).group(1)
    return {"id": meeting.id, "link": link, "latitude": VENUE[0], "longitude": VENUE[1]}


def test_mini_program_client_agrees_with_the_server(app, live_server, emulator, tree, make_member, make_admin, browser):
    assert JEST.exists(), "node_modules is missing: run `make setup`"
    by_phone = make_member(tree["a1"], "周九", phone="13600001111", id_card="11010519491231002X")
    by_invite = make_member(tree["a2"], "吴十", phone=None)
    secretary = make_member(tree["a1"], "王书记", phone="13600002222")
    account = make_admin("shuji", Role.SECRETARY, tree["a1"], member_id=secretary.id)
    _, code = issue_invite_code(by_invite, None)
    start = utcnow() + timedelta(minutes=10)
    meeting = create_meeting(
        kind=MeetingKind.THEME_DAY,
        title="主题党日",
        organiser=tree["a1"],
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    db.session.commit()
    members = {
        "phone": {"name": by_phone.name, "phone": by_phone.phone},
        "invite": {"name": "吴十", "code": code},
        "meeting": {"id": meeting.id, "code": meeting_code(meeting)},
        "secretary": {"name": secretary.name, "phone": secretary.phone},
        "attendance": {"year": _held_meetings(tree, by_phone)},
        "linked": _projected_link(browser, tree["a1"]),
    }
    env = os.environ | {
        "CONTRACT_SERVER": live_server,
        "CONTRACT_EMULATOR": emulator.base_url,
        "CONTRACT_MEMBERS": json.dumps(members, ensure_ascii=False),
    }
    # The projected code lives 15 s; jest needs a few seconds to start and to reach the scan of the link.
    ttl = app.config["MEETING_CODE_TTL"]
    app.config["MEETING_CODE_TTL"] = 120
    try:
        result = subprocess.run(
            [str(JEST), "--ci", "--runTestsByPath", str(Path("miniprogram/tests/contract.test.js"))],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        app.config["MEETING_CODE_TTL"] = ttl
    assert result.returncode == 0, result.stdout + result.stderr
    assert "9 passed" in result.stderr

    # the scan of the projected link from outside the app: recorded as a scan of the meeting's code, in place
    linked = db.session.scalars(
        sa.select(Attendance).where(
            Attendance.meeting_id == members["linked"]["id"], Attendance.member_id == by_phone.id
        )
    ).one()
    assert (linked.status, linked.method) == (AttendanceStatus.PRESENT, CheckinMethod.MEETING_CODE)

    # the meeting the secretary scheduled through the real client: the account's, and audited
    db.session.expire_all()
    scheduled = db.session.scalars(sa.select(Meeting).where(Meeting.title == "书记安排的主题党日")).one()
    assert scheduled.created_by_id == account.id
    audit = db.session.scalars(sa.select(AuditLog).where(AuditLog.entity_id == scheduled.id)).all()
    assert [(row.action, row.actor_kind, row.actor_id) for row in audit if row.entity_type == "meeting"] == [
        ("meeting.create", "admin_phone", account.id)
    ]
