"""The mailbox end to end, as the issue's "tried as a new user would" asks: a member writes an anonymous letter
through the mini-program's own client and pages (miniprogram/tests/letter.contract.test.js); the secretary
takes it on and replies through the admin pages without ever seeing the writer's name; the member finds the
push the emulator recorded, opens the reply from 消息 and reads it."""

from __future__ import annotations

import json
import os
import re
import subprocess

import sqlalchemy as sa

from server.config import PROJECT_ROOT
from server.db import db
from server.mailbox.models import Letter
from server.tasks import run_pending_jobs
from tests.mailbox.conftest import TEMPLATE

JEST = PROJECT_ROOT / "node_modules" / ".bin" / "jest"
REPLY = "已请食堂从下周起为夜班提供加餐。"


def _jest(phase: str, env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(JEST), "--ci", "--runTestsByPath", "miniprogram/tests/letter.contract.test.js", "-t", f"^{phase}"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stderr, result.stderr


def test_an_anonymous_letter_is_answered_without_the_name_and_the_member_reads_the_reply(
    app, live_server, emulator, tree, staff, make_member, browser
):
    writer = make_member(tree["a1"], "夜班工人老周", phone="13700007777")
    who = {"user": "wx-laozhou", "phone": writer.phone, "name": writer.name}
    env = os.environ | {
        "CONTRACT_SERVER": live_server,
        "CONTRACT_EMULATOR": emulator.base_url,
        "CONTRACT_TEMPLATES": json.dumps({"letter_reply": TEMPLATE}),
        "CONTRACT_LETTER": json.dumps({"member": who, "reply": REPLY}),
    }
    _jest("the document", env)
    _jest("the letter", env)

    letter = db.session.scalars(sa.select(Letter)).one()
    shuji = browser("shuji")
    queue = shuji.get("/admin/mailbox/").get_data(as_text=True)
    page = shuji.get(f"/admin/mailbox/letters/{letter.id}").get_data(as_text=True)
    for seen in (queue, page):
        assert "夜班就餐" in seen and "匿名" in seen
        assert writer.name not in seen and writer.phone not in seen and not re.search(rf"/members/{writer.id}\b", seen)
    assert shuji.post(f"/admin/mailbox/letters/{letter.id}/take").status_code == 302
    assert shuji.post(f"/admin/mailbox/letters/{letter.id}/reply", {"reply": REPLY}).status_code == 302
    run_pending_jobs()
    assert [m.template_id for m in emulator.messages(emulator.openid(who["user"]))] == [TEMPLATE]

    env["CONTRACT_LETTER"] = json.dumps({"member": who, "reply": REPLY})
    _jest("the reply", env)
