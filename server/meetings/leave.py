"""Asking for leave before a meeting, and the secretary's decision."""

from __future__ import annotations

import sqlalchemy as sa

from server.db import db, utcnow
from server.errors import AppError, NotFound
from server.meetings.checkin import hold_check_ins
from server.meetings.minutes import attendance_locked
from server.meetings.models import Attendance, AttendanceStatus, CheckinMethod, LeaveRequest, LeaveStatus, Meeting
from server.meetings.services import is_participant
from server.members.models import Member


def request_leave(meeting: Meeting, member: Member, reason: str) -> LeaveRequest:
    reason = reason.strip()
    if not reason:
        raise AppError("reason_required", "请填写请假事由")
    if meeting.cancelled_at is not None:
        raise AppError("meeting_cancelled", "会议已取消")
    if meeting.starts_at <= utcnow():
        raise AppError("meeting_started", "会议已经开始，不能再请假；如有特殊情况请联系支部书记")
    if not is_participant(meeting, member):
        raise AppError("not_participant", "您不在本次会议的参会范围内")
    existing = db.session.scalar(
        sa.select(LeaveRequest).where(LeaveRequest.meeting_id == meeting.id, LeaveRequest.member_id == member.id)
    )
    if existing is not None and existing.status is not LeaveStatus.REFUSED:
        raise AppError("leave_exists", "您已提交过请假申请")
    if existing is not None:  # asking again after a refusal
        existing.reason, existing.status, existing.decided_at, existing.decided_by_id = (
            reason,
            LeaveStatus.PENDING,
            None,
            None,
        )
        db.session.flush()
        return existing
    leave = LeaveRequest(meeting=meeting, member_id=member.id, reason=reason[:200])
    db.session.add(leave)
    db.session.flush()
    return leave


def get_leave(leave_id: int) -> LeaveRequest:
    leave = db.session.get(LeaveRequest, leave_id)
    if leave is None:
        raise NotFound("请假申请不存在")
    return leave


def decide_leave(leave: LeaveRequest, approve: bool, decided_by_id: int | None) -> LeaveRequest:
    """Approve (the member is recorded as on leave) or refuse a pending request."""
    # One decision at a time, none while a check-in or finalising of this meeting is under way; then
    # look again at the request and attendance, which another secretary or a scan may just have changed.
    hold_check_ins(leave.meeting_id)
    db.session.refresh(leave)
    if leave.status is not LeaveStatus.PENDING:
        raise AppError("leave_decided", "该请假申请已处理")
    if attendance_locked(leave.meeting_id):
        raise AppError("minutes_finalised", "会议纪要已定稿，出勤记录不能再更改")
    leave.status = LeaveStatus.APPROVED if approve else LeaveStatus.REFUSED
    leave.decided_at, leave.decided_by_id = utcnow(), decided_by_id
    already = db.session.scalar(
        sa.select(Attendance).where(Attendance.meeting_id == leave.meeting_id, Attendance.member_id == leave.member_id)
    )
    if approve and already is None:
        db.session.add(
            Attendance(
                meeting=leave.meeting,
                member_id=leave.member_id,
                status=AttendanceStatus.LEAVE,
                method=CheckinMethod.MANUAL,
                note=f"请假：{leave.reason}"[:200],
                recorded_by_id=decided_by_id,
            )
        )
    db.session.flush()
    return leave
