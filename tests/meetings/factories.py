"""Meetings and attendance written straight into the tables, for reports over past dates."""

from __future__ import annotations

from datetime import timedelta

from server.db import db, utcnow
from server.meetings.models import Attendance, AttendanceStatus, CheckinMethod, Meeting, MeetingKind
from server.meetings.services import create_meeting
from server.timezone import display_zone


def add_meeting(kind, organiser, starts_at, participants=None, *, cancelled=False, title="会议", backfill_reason=None):
    """A meeting straight into the table; ``starts_at`` naive means Beijing time.

    With ``backfill_reason`` it is a 补录 entered now (its ``created_at``) for a meeting held then.
    """
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=display_zone())
    meeting = Meeting(
        kind=kind,
        title=title,
        organiser=organiser,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        checkin_opens_at=starts_at - timedelta(minutes=30),
        checkin_closes_at=starts_at + timedelta(hours=2),
        code_secret="x",
        cancelled_at=starts_at - timedelta(days=1) if cancelled else None,
        backfill_reason=backfill_reason,
    )
    meeting.participant_orgs = list(participants or [organiser])
    db.session.add(meeting)
    db.session.commit()
    return meeting


def attend(meeting, *members, status=AttendanceStatus.PRESENT):
    for member in members:
        db.session.add(
            Attendance(
                meeting_id=meeting.id,
                member_id=member.id,
                status=status,
                method=CheckinMethod.MANUAL,
                checked_in_at=None if status is AttendanceStatus.LEAVE else meeting.starts_at,
            )
        )
    db.session.commit()


def schedule_theme_day_tomorrow(organiser, title: str = "十二月主题党日") -> Meeting:
    """A theme day scheduled through the service, starting in 20 hours: its day-before reminder is due."""
    starts = utcnow() + timedelta(hours=20)
    meeting = create_meeting(
        kind=MeetingKind.THEME_DAY,
        title=title,
        organiser=organiser,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="三楼会议室",
    )
    db.session.commit()
    return meeting
