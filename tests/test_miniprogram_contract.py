"""The mini-program's own API client (run by jest in node) against a live server and the WeChat emulator."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import timedelta
from pathlib import Path

from server.auth.member_services import issue_invite_code
from server.config import PROJECT_ROOT
from server.db import db, utcnow
from server.meetings.codes import meeting_code
from server.meetings.models import MeetingKind
from server.meetings.services import create_meeting

JEST = PROJECT_ROOT / "node_modules" / ".bin" / "jest"


def test_mini_program_client_agrees_with_the_server(live_server, emulator, tree, make_member):
    assert JEST.exists(), "node_modules is missing: run `make setup`"
    by_phone = make_member(tree["a1"], "周九", phone="13600001111", id_card="11010519491231002X")
    by_invite = make_member(tree["a2"], "吴十", phone=None)
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
    }
    env = os.environ | {
        "CONTRACT_SERVER": live_server,
        "CONTRACT_EMULATOR": emulator.base_url,
        "CONTRACT_MEMBERS": json.dumps(members, ensure_ascii=False),
    }
    result = subprocess.run(
        [str(JEST), "--ci", "--runTestsByPath", str(Path("miniprogram/tests/contract.test.js"))],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stderr
