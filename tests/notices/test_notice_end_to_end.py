"""A notice end to end on the embedded default, as new users would meet it: members bind and turn on notice
reminders in the mini-program (its own code, in node); the secretary sends a notice asking for a receipt
to the branch through the admin pages; the members see it in 消息 and the emulator records the pushes; a
third of them acknowledge; the secretary reminds the rest and only they are pushed again."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import sqlalchemy as sa

from server.auth.models import Role
from server.config import PROJECT_ROOT
from server.db import db
from server.notices import receipts
from server.notices.models import Notice
from server.tasks import run_pending_jobs
from tests.notices.conftest import TEMPLATE

JEST = PROJECT_ROOT / "node_modules" / ".bin" / "jest"
SPEC = Path("miniprogram/tests/notice.contract.test.js")


def _jest(phase: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(JEST), "--ci", "--runTestsByPath", str(SPEC), "-t", f"^{phase}"],
        cwd=PROJECT_ROOT,
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stderr


def test_a_secretary_sends_a_notice_with_receipt_a_third_acknowledge_and_only_the_rest_are_reminded(
    app, live_server, emulator, tree, make_member, make_admin, browser
):
    assert JEST.exists(), "node_modules is missing: run `make setup`"
    people = []
    for n, name in enumerate(("周一", "吴二", "郑三")):
        member = make_member(tree["a1"], name, phone=f"1360000555{n}")
        people.append({"user": f"wx-notice-e2e-{n}", "phone": member.phone, "name": name})
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    env = {
        "CONTRACT_SERVER": live_server,
        "CONTRACT_EMULATOR": emulator.base_url,
        "CONTRACT_TEMPLATES": json.dumps({"notice": TEMPLATE}),
        "CONTRACT_NOTICE": json.dumps({"members": people, "notice": {}}, ensure_ascii=False),
    }
    assert "1 passed" in _jest("the document", env)
    assert "1 passed" in _jest("before the notice", env)

    secretary = browser("shuji")
    form = {
        "org_id": str(tree["a1"].id),
        "org_ids": [str(tree["a1"].id)],
        "title": "明天下午三点召开支部党员大会",
        "body": "地点：三楼会议室。请准时参加。",
        "ack_required": "1",
        "when": "now",
    }
    assert secretary.post("/admin/notices/new", form).status_code == 302
    run_pending_jobs()  # the worker: delivery, then the pushes
    notice = db.session.scalars(sa.select(Notice)).one()
    openids = [emulator.openid(who["user"]) for who in people]
    assert [len(emulator.messages(openid)) for openid in openids] == [1, 1, 1]

    env["CONTRACT_NOTICE"] = json.dumps({"members": people, "notice": {"id": notice.id, "title": notice.title}})
    assert "1 passed" in _jest("after the notice", env)
    db.session.expire_all()
    figures = receipts.counts(notice)
    assert (figures.recipients, figures.read, figures.acked) == (3, 1, 1)
    page = secretary.get(f"/admin/notices/{notice.id}").get_data(as_text=True)
    assert 'id="count-acked">1<' in page and 'id="count-not-acked">2<' in page

    assert secretary.post(f"/admin/notices/{notice.id}/remind").status_code == 302
    run_pending_jobs()
    assert [len(emulator.messages(openid)) for openid in openids] == [1, 2, 2]
    assert "1 passed" in _jest("after the reminder", env)
