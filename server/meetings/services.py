"""Scheduling meetings and finding who takes part. Operations flush, never commit."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.auth.models import AdminUser
from server.db import db, utcnow
from server.errors import AppError, NotFound
from server.meetings.models import Attendance, LeaveRequest, Meeting, MeetingKind, meeting_participants
from server.members.models import Member
from server.orgs.models import Organisation, OrgKind

DEFAULT_CHECKIN_LEAD = timedelta(minutes=30)


def get_meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("会议不存在")
    return meeting


def _check_participants(organiser: Organisation, participants: list[Organisation]) -> None:
    for org in participants:
        if org.kind not in (OrgKind.BRANCH, OrgKind.GROUP) or org.dissolved_at is not None:
            raise AppError("invalid_participants", f"“{org.name}”不是党支部或党小组，不能作为参会范围")


def create_meeting(
    *,
    kind: MeetingKind,
    title: str,
    organiser: Organisation,
    starts_at: datetime,
    ends_at: datetime,
    place: str = "",
    participants: Iterable[Organisation] = (),
    checkin_opens_at: datetime | None = None,
    checkin_closes_at: datetime | None = None,
    geofence: tuple[float, float, int] | None = None,
    created_by_id: int | None = None,
) -> Meeting:
    """Schedule a meeting. Participants default to the organiser; check-in opens 30 minutes early."""
    if ends_at <= starts_at:
        raise AppError("invalid_time", "结束时间应晚于开始时间")
    participants = list(participants) or [organiser]
    _check_participants(organiser, participants)
    lat, lng, radius = geofence or (None, None, None)
    meeting = Meeting(
        kind=kind,
        title=title.strip(),
        organiser=organiser,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place.strip(),
        checkin_opens_at=checkin_opens_at or starts_at - DEFAULT_CHECKIN_LEAD,
        checkin_closes_at=checkin_closes_at or ends_at,
        geo_lat=lat,
        geo_lng=lng,
        geo_radius_m=radius,
        code_secret=secrets.token_hex(32),
        created_by_id=created_by_id,
    )
    meeting.participant_orgs = participants
    db.session.add(meeting)
    db.session.flush()
    return meeting


def participant_org_ids(meeting: Meeting) -> set[int]:
    rows = db.session.execute(
        sa.select(meeting_participants.c.org_id).where(meeting_participants.c.meeting_id == meeting.id)
    )
    return {org_id for (org_id,) in rows}


def is_participant(meeting: Meeting, member: Member) -> bool:
    """A member takes part if their branch or their party group is among the meeting's participants."""
    org_ids = participant_org_ids(meeting)
    return member.org_id in org_ids or (member.group_id is not None and member.group_id in org_ids)


def meetings_of(member: Member, *, since: datetime | None = None, limit: int = 50) -> list[Meeting]:
    """Meetings the member takes part in, newest first, not cancelled."""
    orgs = [member.org_id] + ([member.group_id] if member.group_id else [])
    query = (
        sa.select(Meeting)
        .join(meeting_participants, meeting_participants.c.meeting_id == Meeting.id)
        .where(meeting_participants.c.org_id.in_(orgs), Meeting.cancelled_at.is_(None))
        .order_by(Meeting.starts_at.desc())
        .limit(limit)
        .distinct()
    )
    if since is not None:
        query = query.where(Meeting.ends_at >= since)
    return list(db.session.scalars(query))


def cancel_meeting(meeting: Meeting) -> Meeting:
    if meeting.starts_at <= utcnow():
        raise AppError("meeting_started", "会议已经开始，不能取消")
    meeting.cancelled_at = utcnow()
    db.session.flush()
    return meeting


def secretary_account(member: Member, meeting: Meeting) -> AdminUser | None:
    """The admin account through which ``member`` may run check-in for ``meeting``, if any."""
    admin = db.session.scalar(sa.select(AdminUser).where(AdminUser.member_id == member.id, AdminUser.active))
    if admin is None or not admin.role.can_write:
        return None
    return admin if meeting.organiser.path.startswith(admin.scope_path) else None


def attendance_of(meeting: Meeting, member: Member) -> Attendance | None:
    return db.session.scalar(
        sa.select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.member_id == member.id)
    )


def leave_of(meeting: Meeting, member: Member) -> LeaveRequest | None:
    return db.session.scalar(
        sa.select(LeaveRequest).where(LeaveRequest.meeting_id == meeting.id, LeaveRequest.member_id == member.id)
    )
