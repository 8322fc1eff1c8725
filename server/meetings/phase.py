"""Where a meeting stands for a member opening it on the phone, so the page offers only what the server
would accept: a scan while check-in is open, leave before the start, nothing on an ended or cancelled one.
"""

from __future__ import annotations

from datetime import datetime

from server.db import utcnow
from server.meetings.models import Meeting

UPCOMING = "upcoming"  # check-in has not opened yet
OPEN = "open"  # check-in is open: the projected code is accepted
CLOSED = "closed"  # check-in has closed, the meeting has not ended yet
ENDED = "ended"
CANCELLED = "cancelled"
PHASES = (UPCOMING, OPEN, CLOSED, ENDED, CANCELLED)


def phase_of(meeting: Meeting, now: datetime | None = None) -> str:
    now = now or utcnow()
    if meeting.cancelled_at is not None:
        return CANCELLED
    if now >= meeting.ends_at and now > meeting.checkin_closes_at:
        return ENDED
    if now < meeting.checkin_opens_at:
        return UPCOMING
    return OPEN if now <= meeting.checkin_closes_at else CLOSED


def leave_open(meeting: Meeting, now: datetime | None = None) -> bool:
    """Leave is asked for before the start of a meeting that goes ahead (server/meetings/leave.py)."""
    return meeting.cancelled_at is None and not meeting.backfilled and (now or utcnow()) < meeting.starts_at
