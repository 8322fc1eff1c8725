"""Reminders that arrive: the mini-program's own code (run by jest in node) taps 开启 on 我的 against the
live server and the WeChat emulator's simulated phone; the day-before job then reminds the member who
tapped, and only them; their phone shows the message and 我的 shows what is left."""

from __future__ import annotations

import json

from server.db import db
from server.meetings.tasks import due_reminders, send_meeting_reminder
from server.wechat import subscribe
from tests.jest_contract import run_phase
from tests.subscriptions.conftest import _users

SPEC = "miniprogram/tests/subscribe.contract.test.js"


def _jest(phase: str, env: dict[str, str]) -> str:
    return run_phase(SPEC, phase, env)


def test_the_subscribe_tap_is_recorded_and_the_reminder_then_arrives(
    live_server, emulator, tree, make_member, meeting_tomorrow
):
    people = {}
    for role, name, number in (("subscriber", "张三", "13700000101"), ("bystander", "李四", "13700000102")):
        make_member(tree["a1"], name, phone=number)
        people[role] = {"user": f"wx-contract-consent-{next(_users)}", "phone": number, "name": name}
    meeting = meeting_tomorrow("十二月主题党日")
    templates = {"meeting_reminder": subscribe.template("meeting_reminder")["template_id"]}
    env = {
        "CONTRACT_SERVER": live_server,
        "CONTRACT_EMULATOR": emulator.base_url,
        "CONTRACT_TEMPLATES": json.dumps(templates),
        "CONTRACT_SUBSCRIBERS": json.dumps(people | {"meeting": {"id": meeting.id, "title": meeting.title}}),
    }

    assert "2 passed" in _jest("before the reminder", env)
    subscriber = emulator.openid(people["subscriber"]["user"])
    assert emulator.state.quota(subscriber, templates["meeting_reminder"]) == 2  # WeChat holds both taps

    # the day-before job, run here as the worker would, against the same database
    assert due_reminders() == [meeting.id]
    db.session.commit()
    counts = send_meeting_reminder.call_local(meeting.id)
    assert (counts["sent"], counts["not_subscribed"]) == (1, 1)

    assert "2 passed" in _jest("after the reminder", env)
    assert emulator.state.quota(subscriber, templates["meeting_reminder"]) == 1
