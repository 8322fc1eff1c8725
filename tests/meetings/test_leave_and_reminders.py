"""Leave before a meeting, manual check-in by the secretary, and the reminder the day before."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.audit.models import AuditLog
from server.db import db
from server.errors import AppError
from server.meetings import checkin, codes, leave
from server.meetings.models import Attendance, AttendanceStatus, LeaveStatus, Meeting
from server.meetings.tasks import due_reminders, send_meeting_reminder
from server.tasks import run_pending_jobs
from tests.meetings.conftest import bearer


@pytest.fixture
def member(tree, make_member):
    return make_member(tree["a1"], "张三", phone="13812345678")


def test_member_asks_for_leave_and_the_secretary_approves(client, make_meeting, member, token_for):
    meeting = make_meeting(starts_in=timedelta(days=1))
    response = client.post(
        f"/api/meetings/{meeting.id}/leave", json={"reason": "在工地值班"}, headers=bearer(token_for(member))
    )
    assert response.status_code == 201 and response.get_json()["status"] == "pending"
    again = client.post(
        f"/api/meetings/{meeting.id}/leave", json={"reason": "再请一次"}, headers=bearer(token_for(member))
    )
    assert again.get_json()["error"]["code"] == "leave_exists"
    request = leave.get_leave(response.get_json()["id"])
    leave.decide_leave(request, approve=True, decided_by_id=None)
    db.session.commit()
    row = db.session.scalar(sa.select(Attendance))
    assert row.status is AttendanceStatus.LEAVE and "在工地值班" in row.note


def test_leave_after_the_start_is_refused(client, make_meeting, member, token_for):
    meeting = make_meeting(starts_in=timedelta(minutes=-5))
    response = client.post(
        f"/api/meetings/{meeting.id}/leave", json={"reason": "晚了"}, headers=bearer(token_for(member))
    )
    assert response.get_json()["error"]["code"] == "meeting_started"


def test_a_refused_request_may_be_asked_again(make_meeting, member):
    meeting = make_meeting(starts_in=timedelta(days=1))
    request = leave.request_leave(meeting, member, "家中有事")
    leave.decide_leave(request, approve=False, decided_by_id=None)
    assert leave.request_leave(meeting, member, "确实有事").status is LeaveStatus.PENDING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0


def test_on_leave_but_came_after_all(client, make_meeting, member, token_for):
    meeting = make_meeting(starts_in=timedelta(days=1))
    leave.decide_leave(leave.request_leave(meeting, member, "出差"), approve=True, decided_by_id=None)
    meeting.starts_at = meeting.checkin_opens_at = meeting.starts_at - timedelta(days=1, minutes=30)
    db.session.commit()
    body = client.post(
        f"/api/meetings/{meeting.id}/checkin",
        json={"code": codes.meeting_code(meeting)},
        headers=bearer(token_for(member)),
    ).get_json()
    assert body["already"] is False and body["status"] in ("present", "late")


def test_a_hand_entry_keeps_who_recorded_it_and_a_reason_cut_to_fit(make_meeting, member, make_admin, tree):
    from server.auth.models import Role

    secretary = make_admin("shuji_hand", Role.SECRETARY, tree["a1"])
    checkin.mark_present(make_meeting(), member, "  " + "年" * 250 + "  ", recorded_by_id=secretary.id)
    db.session.commit()

    row = db.session.scalar(sa.select(Attendance))
    assert (row.recorded_by_id, row.note) == (secretary.id, "年" * 200)


def test_manual_check_in_needs_a_reason_and_is_audited(make_meeting, member):
    meeting = make_meeting()
    with pytest.raises(AppError, match="原因"):
        checkin.mark_present(meeting, member, "  ", recorded_by_id=None)
    checkin.mark_present(meeting, member, "年长党员，无智能手机", recorded_by_id=None)
    db.session.commit()
    row = db.session.scalar(sa.select(Attendance))
    assert row.method.value == "manual" and row.note == "年长党员，无智能手机"
    assert (
        db.session.scalar(sa.select(AuditLog.after).where(AuditLog.action == "attendance.create"))["note"]
        == "年长党员，无智能手机"
    )


def test_reminder_goes_once_to_subscribed_participants(app, make_meeting, tree, member, make_member, phone, emulator):
    p = phone("wx-zhangsan")
    assert p.bind_phone("13812345678").status_code == 200
    emulator.grant_subscription("wx-zhangsan", ["tmpl_meeting"])
    unsubscribed = make_member(tree["a1"], "李四", phone="13900000001")
    assert phone("wx-lisi").bind_phone("13900000001").status_code == 200
    meeting = make_meeting(starts_in=timedelta(hours=20), title="学习二十届四中全会精神专题党课暨十一月主题党日")
    make_meeting(starts_in=timedelta(days=3), title="下周的会")
    assert due_reminders() == [meeting.id]
    db.session.commit()
    assert due_reminders() == []  # once only
    counts = send_meeting_reminder.call_local(meeting.id)
    assert counts == {"sent": 1, "not_subscribed": 1, "failed": 0, "uncertain": 0}
    [message] = emulator.messages(emulator.openid("wx-zhangsan"))
    assert message.data["thing1"] == "学习二十届四中全会精神专题党课暨十一月…"  # 20 characters at most
    assert message.data["thing3"] == "三楼会议室"
    assert unsubscribed.id and not emulator.messages(emulator.openid("wx-lisi"))


def test_the_periodic_job_queues_reminders_after_commit(app, make_meeting):
    from server.meetings.tasks import queue_meeting_reminders

    meeting = make_meeting(starts_in=timedelta(hours=2))
    queue_meeting_reminders.call_local()
    assert db.session.get(Meeting, meeting.id).reminder_sent_at is not None
    assert run_pending_jobs() == 1


def test_the_secretary_may_record_by_hand_after_check_in_closed(make_meeting, member):
    over = make_meeting(starts_in=timedelta(hours=-5))
    assert checkin.mark_present(over, member, "会上签到表补录", recorded_by_id=None).already is False


def test_attendance_is_frozen_once_the_minutes_are_finalised(make_meeting, member, tree, make_member):
    from server.meetings import minutes

    over = make_meeting(starts_in=timedelta(hours=-5))
    record = minutes.get_or_create_minutes(over)
    minutes.save_draft(record, "学习", "学习了文件", "无")
    minutes.finalise(record)
    db.session.commit()
    with pytest.raises(AppError) as refused:
        checkin.mark_present(over, member, "补录", recorded_by_id=None)
    assert refused.value.code == "minutes_finalised"
