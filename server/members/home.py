"""The member's home page on the phone: which features this deployment offers, the next meeting, and the
to-dos of today and tomorrow. Only facts the server holds: a feature that has not landed has no entry and
no figure here, so the phone never shows a placeholder ("党费已缴清") as if it were known."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from server.db import db
from server.meetings.models import Attendance, LeaveRequest, LeaveStatus, Meeting
from server.meetings.services import meetings_of
from server.members.models import Member
from server.timezone import local_date

#: What the phone may offer. A feature adds its name when it lands ("dues", "study", "newspaper"), with
#: its own figures in the home answer; the phone shows an entry only for a name listed here.
FEATURES: tuple[str, ...] = ("meetings", "dues", "newspaper", "study")

#: A meeting under way is still "next" this long after it started (a member arriving late checks in).
UNDER_WAY = timedelta(hours=3)


def _todo_action(meeting: Meeting, attended: bool, leave: LeaveRequest | None, now: datetime) -> str | None:
    """What the member still has to do for ``meeting``: check in (or show their code at a 现场核验
    meeting) while check-in is still open, or wait for a leave decision. Nothing once present or on
    approved leave."""
    if attended or meeting.backfilled:
        return None
    if leave is not None and leave.status == LeaveStatus.PENDING:
        return "leave_pending"
    if leave is not None and leave.status == LeaveStatus.APPROVED:
        return None
    if now >= meeting.checkin_closes_at:
        return None
    return "show_code" if meeting.strict_checkin else "checkin"


def _todos(member: Member, meetings: list[Meeting], now: datetime) -> list[dict[str, Any]]:
    today = local_date(now)
    soon = [m for m in meetings if (local_date(m.starts_at) - today).days in (0, 1)]
    if not soon:
        return []
    ids = [m.id for m in soon]
    attended = set(
        db.session.scalars(
            sa.select(Attendance.meeting_id).where(Attendance.member_id == member.id, Attendance.meeting_id.in_(ids))
        )
    )
    leaves = {
        leave.meeting_id: leave
        for leave in db.session.scalars(
            sa.select(LeaveRequest).where(LeaveRequest.member_id == member.id, LeaveRequest.meeting_id.in_(ids))
        )
    }
    todos = []
    for meeting in sorted(soon, key=lambda m: m.starts_at):
        action = _todo_action(meeting, meeting.id in attended, leaves.get(meeting.id), now)
        if action:
            todos.append({"action": action, "meeting": meeting})
    return todos


def home_for(member: Member, now: datetime) -> dict[str, Any]:
    """The home answer for ``member`` at ``now``: meetings not yet ended, nearest first."""
    meetings = [m for m in meetings_of(member, since=now) if m.starts_at >= now - UNDER_WAY]
    return {
        "member_name": member.name,
        "branch_name": member.org.name,
        "features": list(FEATURES),
        "next_meeting": min(meetings, key=lambda m: m.starts_at, default=None),
        "todos": _todos(member, meetings, now),
    }
