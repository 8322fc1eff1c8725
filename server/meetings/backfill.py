"""补录: the one rule on when a meeting may be dated in the past, and the hand-entered attendance of one.

DESIGN.md: records of meetings must be authentic — no record is silently back-dated — and a meeting
held on paper may be recorded afterwards only as 补录, with a reason, marked wherever it appears and
counted apart from meetings recorded on time. So:

- A meeting is *on time* when it is scheduled before it starts; ``MEETING_START_GRACE_MINUTES`` of
  slack let a secretary fill in the form as the meeting begins. It must not be over already.
- Anything else is a 补录: it needs a reason (``REASON_MIN``–``REASON_MAX`` characters) and the meeting
  must have ended, check-in window included, before it was entered (its ``created_at``, the database
  checks it too). So nobody ever scans into a 补录: its attendance is entered by hand, from the paper.
- Neither turns into the other. A 补录 cannot become on time (it would erase the mark), and an on-time
  meeting cannot become a 补录 or have its start moved into the past: the start is what the members
  were told, reminded of and asked leave from, and a meeting moved into the past claims to have
  happened at a time nobody was given. A meeting really held at another time is entered as its own
  补录; the announced one stays as it was, for everyone to see.

Scheduling and editing both call :func:`check_new` / :func:`check_edit` (from ``services``), so the
admin form and the phone (``POST /api/meetings``) share the rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from server.db import db, utcnow
from server.errors import AppError
from server.meetings.minutes import attendance_locked
from server.meetings.models import Attendance, AttendanceStatus, CheckinMethod, Meeting
from server.members.models import Member

REASON_MIN, REASON_MAX = 2, 200

START_PASSED = "会议开始时间已过，不能再按时安排；如会议已在线下召开，请以“补录”方式录入并填写补录原因"
MOVED_INTO_PAST = (
    "不能把会议开始时间改到已经过去的时间：会议时间是事先通知党员的，改到过去就成了倒签；"
    "如会议实际在其他时间线下召开，请另行以“补录”方式录入"
)
NOT_OVER = "补录只用于已经结束的会议；尚未开始或正在进行的会议请按时安排，现场签到"


def grace() -> timedelta:
    return timedelta(minutes=current_app.config["MEETING_START_GRACE_MINUTES"])


def clean_reason(reason: str | None) -> str | None:
    """The reason as kept; None (not a 补录) when blank."""
    return (reason or "").strip() or None


def _check_reason(reason: str) -> None:
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise AppError("backfill_reason_length", f"补录原因应为 {REASON_MIN} 到 {REASON_MAX} 个字")


def _check_over(ends_at: datetime, checkin_closes_at: datetime, entered_at: datetime) -> None:
    if max(ends_at, checkin_closes_at) > entered_at:
        raise AppError("backfill_not_over", NOT_OVER)


def check_new(starts_at: datetime, ends_at: datetime, checkin_closes_at: datetime, reason: str | None) -> None:
    """A meeting being scheduled: on time, or a 补录 (``reason`` cleaned) of one that is over."""
    now = utcnow()
    if reason is None:
        if starts_at < now - grace() or ends_at <= now:
            raise AppError("start_passed", START_PASSED)
        return
    _check_reason(reason)
    _check_over(ends_at, checkin_closes_at, now)


def check_edit(
    meeting: Meeting, starts_at: datetime, ends_at: datetime, checkin_closes_at: datetime, reason: str | None
) -> None:
    """A meeting's new times and reason (``reason`` cleaned): each stays what it was, on time or 补录."""
    if meeting.backfill_reason is None:
        if reason is not None:
            raise AppError("backfill_fixed", "按时安排的会议不能改为补录")
        if starts_at != meeting.starts_at and starts_at < utcnow() - grace():
            raise AppError("start_passed", MOVED_INTO_PAST)
        return
    if reason is None:
        raise AppError("backfill_fixed", "补录的会议不能改为按时召开的会议，请保留补录原因")
    _check_reason(reason)
    _check_over(ends_at, checkin_closes_at, meeting.created_at)


def record_attendance(meeting: Meeting, member: Member, reason: str, recorded_by_id: int | None) -> str:
    """The secretary enters from the paper record that ``member`` attended a 补录; returns what to tell them.

    Present, never late: the paper says who came, not when; ``checked_in_at`` is when it was entered
    (the meeting and the audit trail say the rest). Written with the ORM, so it is audited.
    """
    reason = reason.strip()
    if not reason:
        raise AppError("reason_required", "补录出勤须填写依据（如：纸质签到表）")
    if attendance_locked(meeting.id):
        raise AppError("minutes_finalised", "会议纪要已定稿，出勤记录不能再更改")
    if not {member.org_id, member.group_id} & {org.id for org in meeting.participant_orgs}:
        raise AppError("not_participant", "该党员不在本次会议的参会范围内")
    row = db.session.scalar(
        sa.select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.member_id == member.id)
    )
    if row is not None and row.status is not AttendanceStatus.LEAVE:
        return "已录入为到会"
    if row is None:
        row = Attendance(meeting=meeting, member_id=member.id)
        db.session.add(row)
    row.status, row.method, row.checked_in_at = AttendanceStatus.PRESENT, CheckinMethod.MANUAL, utcnow()
    row.note, row.recorded_by_id = reason[:200], recorded_by_id
    db.session.flush()
    return "已录入为到会（补录）"
