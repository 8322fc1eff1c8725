"""The day-before reminder uses and keeps the members' consent counts: WeChat's quota is the truth,
ours is what we believe and what the member sees."""

from __future__ import annotations

import sqlalchemy as sa

from server.db import db
from server.meetings.models import MeetingReminder, ReminderOutcome
from server.meetings.tasks import due_reminders, send_meeting_reminder
from server.wechat.errors import INVALID_ARGUMENT
from tests.subscriptions.conftest import tap

SEND = "/cgi-bin/message/subscribe/send"


def _remind(meeting) -> dict[str, int]:
    assert due_reminders() == [meeting.id]
    db.session.commit()
    return send_meeting_reminder.call_local(meeting.id)


def _remaining(p) -> int:
    return p.get("/api/me/subscriptions").get_json()["subscriptions"][0]["remaining"]


def test_a_reminder_sent_uses_one_consent(bound, meeting_tomorrow, emulator):
    p = bound("张三")
    tap(p)
    tap(p)
    assert _remind(meeting_tomorrow())["sent"] == 1
    assert len(emulator.messages(emulator.openid(p.user))) == 1
    listed = p.get("/api/me/subscriptions").get_json()["subscriptions"][0]
    assert (listed["remaining"], listed["status_label"]) == (1, "还可提醒 1 次")


def test_wechat_saying_the_consent_is_gone_sets_the_count_to_zero(bound, meeting_tomorrow, emulator):
    """The member allowed two reminders, then turned the mini-program's notifications off in WeChat."""
    p = bound("张三")
    tap(p)
    tap(p)
    emulator.set_notifications(p.user, False)
    counts = _remind(meeting_tomorrow())
    assert (counts["sent"], counts["not_subscribed"]) == (0, 1)
    listed = p.get("/api/me/subscriptions").get_json()["subscriptions"][0]
    assert (listed["remaining"], listed["status_label"]) == (0, "未开启")
    assert listed["refused_at"] is not None
    assert db.session.scalar(sa.select(MeetingReminder.outcome)) is ReminderOutcome.NOT_SUBSCRIBED


def test_a_member_with_no_consent_recorded_is_still_tried_and_wechat_decides(bound, meeting_tomorrow, emulator):
    """The report of a tap can be lost on a poor network: WeChat's quota, not ours, says who is reminded."""
    lost_report, never_tapped = bound("张三"), bound("李四")
    emulator.grant_subscription(lost_report.user, ["tmpl_meeting"])  # allowed on the phone, never reported
    counts = _remind(meeting_tomorrow())
    assert (counts["sent"], counts["not_subscribed"]) == (1, 1)
    assert len(emulator.messages(emulator.openid(lost_report.user))) == 1
    assert emulator.messages(emulator.openid(never_tapped.user)) == []
    assert _remaining(lost_report) == 0 and _remaining(never_tapped) == 0  # never below zero


def test_a_reminder_that_may_have_arrived_counts_as_used(app, bound, meeting_tomorrow, emulator):
    p = bound("张三")
    tap(p)
    tap(p)
    emulator.delay_next(SEND, 1.5)  # WeChat delivers, but answers after the client stopped waiting
    wechat = app.extensions["wechat"]
    saved = wechat._client.timeout
    wechat._client.timeout = (1, 0.5)
    try:
        assert _remind(meeting_tomorrow())["uncertain"] == 1
    finally:
        wechat._client.timeout = saved
    assert _remaining(p) == 1  # show less rather than more


def test_a_message_wechat_refused_for_another_reason_uses_none(bound, meeting_tomorrow, emulator):
    p = bound("张三")
    tap(p)
    emulator.fail_next(SEND, INVALID_ARGUMENT, "argument invalid!")
    assert _remind(meeting_tomorrow())["failed"] == 1
    assert _remaining(p) == 1
