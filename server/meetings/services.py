"""Scheduling meetings and finding who takes part. Operations flush, never commit."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.auth.models import AdminUser
from server.auth.scope import can_see_org, require_org
from server.db import db, utcnow
from server.errors import AppError, NotFound, PermissionDenied
from server.meetings.models import Attendance, LeaveRequest, Meeting, MeetingKind, meeting_participants
from server.members.models import Member
from server.orgs.models import Organisation, OrgKind
from server.orgs.services import get_org

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


def _linked_account(member: Member) -> AdminUser | None:
    """The active admin account that belongs to ``member`` (a secretary is usually a member too)."""
    return db.session.scalar(sa.select(AdminUser).where(AdminUser.member_id == member.id, AdminUser.active))


def secretary_account(member: Member, meeting: Meeting) -> AdminUser | None:
    """The admin account through which ``member`` may run check-in for ``meeting``, if any."""
    admin = _linked_account(member)
    if admin is None or not admin.role.can_write:
        return None
    return admin if meeting.organiser.path.startswith(admin.scope_path) else None


# ---------------------------------------------------------------------------------------------------
# Secretary mode in the mini-program: scheduling a meeting from the phone


def planning_account(member: Member) -> AdminUser:
    """The admin account through which ``member`` schedules meetings from the mini-program.

    The same rule as the admin's 安排会议 page: an active account whose role may write; a read-only
    支部委员 account gets the admin's own refusal.
    """
    admin = _linked_account(member)
    if admin is None:
        raise PermissionDenied("只有支部书记可以安排会议", code="not_secretary")
    if not admin.role.can_write:
        raise PermissionDenied("您的角色只能查看，不能修改")
    return admin


def planning_branch(admin: AdminUser, member: Member) -> Organisation:
    """The branch the phone form offers: the account's own branch, or else (an account over a general
    branch or committee) the branch the member belongs to, if the account administers it.
    """
    org = admin.org if admin.org is not None and admin.org.kind is OrgKind.BRANCH else member.org
    if org.dissolved_at is not None or not can_see_org(admin, org):
        raise PermissionDenied("您所在的支部不在您的管理范围内，请在管理后台安排会议", code="branch_out_of_scope")
    return org


def groups_of(branch: Organisation) -> list[Organisation]:
    """The live party groups of ``branch``, in their display order."""
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(
                Organisation.parent_id == branch.id,
                Organisation.kind == OrgKind.GROUP,
                Organisation.dissolved_at.is_(None),
            )
            .order_by(Organisation.sort_order, Organisation.name)
        )
    )


def plan_meeting(admin: AdminUser, data: dict) -> Meeting:
    """Schedule a meeting as ``admin``, from a loaded ``MeetingFormSchema``.

    The organiser must be writable by the account and every participant within its scope, exactly as
    on the admin page. A meeting whose end has passed is refused: entering it now from a phone would
    be a back-dated record, which the regulations name as the problem this system exists to stop.
    """
    organiser = require_org(admin, get_org(data["organiser_id"]), write=True)
    participants = [require_org(admin, get_org(org_id)) for org_id in data["participant_ids"]]
    if data["ends_at"] <= utcnow():
        raise AppError("meeting_over", "会议结束时间已过，不能在小程序中补登已开过的会议")
    return create_meeting(
        kind=data["kind"],
        title=data["title"],
        organiser=organiser,
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        place=data["place"],
        participants=participants,
        geofence=data["geofence"],
        created_by_id=admin.id,
    )


def attendance_of(meeting: Meeting, member: Member) -> Attendance | None:
    return db.session.scalar(
        sa.select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.member_id == member.id)
    )


def leave_of(meeting: Meeting, member: Member) -> LeaveRequest | None:
    return db.session.scalar(
        sa.select(LeaveRequest).where(LeaveRequest.meeting_id == meeting.id, LeaveRequest.member_id == member.id)
    )
