"""The demo's meeting under way: the first branch's 支部党员大会 began twenty minutes ago, so the projector
page (签到大屏) and the live lists have something to show at first open.

Arrivals are staggered over the half hour before the start, a few came late, two asked for leave, and
about a third of the branch has not arrived yet. While ``make run`` runs, ``flask demo-arrivals`` (started
by scripts/run_embedded.sh) checks one more of them in every so often through the real check-in, so the
screen moves. No random numbers: the rest of the demo stays as it was.
"""

from __future__ import annotations

import secrets
import time as clock
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.db import db, utcnow
from server.meetings.checkin import check_in, load_scan
from server.meetings.models import Attendance, AttendanceStatus, CheckinMethod, Meeting, MeetingKind
from server.meetings.models import meeting_participants as participants
from server.members.models import Member
from server.orgs.models import Organisation

LIVE_TITLE = "支部党员大会：学习贯彻全会精神"
#: how long ago the meeting began, and how long it lasts
STARTED_AGO = timedelta(minutes=20)
LENGTH = timedelta(hours=2)
#: members who stay away however long the demo runs (the 未到 list is never empty)
ALWAYS_AWAY = 1


def seed_live_meeting(branch: Organisation, secretary_id: int | None = None) -> int:
    """The meeting under way in ``branch``, with its arrivals so far; returns its id."""
    now = utcnow().replace(second=0, microsecond=0)
    starts = now - STARTED_AGO
    meeting_id = db.session.execute(
        sa.insert(Meeting).returning(Meeting.id),
        {
            "kind": MeetingKind.BRANCH_ASSEMBLY,
            "title": LIVE_TITLE,
            "organiser_org_id": branch.id,
            "starts_at": starts,
            "ends_at": starts + LENGTH,
            "place": "项目部二楼会议室",
            "checkin_opens_at": starts - timedelta(minutes=30),
            "checkin_closes_at": starts + LENGTH,
            "code_secret": secrets.token_hex(32),
            "created_at": starts - timedelta(days=6),
            "created_by_id": secretary_id,
        },
    ).scalar_one()
    db.session.execute(sa.insert(participants), {"meeting_id": meeting_id, "org_id": branch.id})
    members = list(db.session.scalars(sa.select(Member.id).where(Member.org_id == branch.id).order_by(Member.id)))
    rows = [row for index, member_id in enumerate(members) if (row := _arrival(meeting_id, member_id, index, starts))]
    if rows:
        db.session.execute(sa.insert(Attendance), rows)
    return meeting_id


def _arrival(meeting_id: int, member_id: int, index: int, starts: datetime) -> dict | None:
    """Of every ten: six came before the start (a minute or two apart), one late, the others not yet;
    the fourth and the ninth member asked for leave."""
    if index in (3, 8):
        status, at = AttendanceStatus.LEAVE, None
    elif index % 10 < 6:
        status, at = AttendanceStatus.PRESENT, starts - timedelta(minutes=28 - (index * 7) % 27)
    elif index % 10 == 6:
        status, at = AttendanceStatus.LATE, starts + timedelta(minutes=6 + index % 12)
    else:
        return None
    method = CheckinMethod.MEETING_CODE if at else CheckinMethod.MANUAL
    note = "出差在外，已向书记请假" if at is None else ""
    return {
        "meeting_id": meeting_id,
        "member_id": member_id,
        "status": status,
        "method": method,
        "checked_in_at": at,
        "note": note,
    }


def live_meeting() -> Meeting | None:
    """The demo's meeting, while it is under way."""
    now = utcnow()
    return db.session.scalar(
        sa.select(Meeting)
        .where(Meeting.title == LIVE_TITLE, Meeting.starts_at <= now, Meeting.ends_at > now)
        .order_by(Meeting.id.desc())
        .limit(1)
    )


def next_arrival(meeting: Meeting) -> Member | None:
    """The next member of the branch not checked in yet (none when only ``ALWAYS_AWAY`` are left)."""
    arrived = sa.select(Attendance.member_id).where(Attendance.meeting_id == meeting.id)
    waiting = list(
        db.session.scalars(
            sa.select(Member)
            .where(Member.org_id == meeting.organiser_org_id, Member.id.not_in(arrived))
            .order_by(Member.id)
        )
    )
    return waiting[0] if len(waiting) > ALWAYS_AWAY else None


def arrive_one() -> str | None:
    """Check the next member in as if they scanned the projected code; their name, or None when nobody is left."""
    meeting = live_meeting()
    member = next_arrival(meeting) if meeting else None
    if member is None:
        return None
    check_in(load_scan(meeting.id, member), CheckinMethod.MEETING_CODE)
    db.session.commit()
    return member.name


def keep_arriving(every_seconds: float) -> None:
    """One arrival every ``every_seconds`` while the meeting is under way and someone is left to come."""
    while arrive_one() is not None:
        db.session.remove()
        clock.sleep(every_seconds)
