"""Scheduling and editing meetings, and finding who takes part. Operations flush, never commit."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from server.auth.models import AdminUser
from server.auth.scope import can_see_org, require_org
from server.db import db, utcnow
from server.errors import AppError, NotFound, PermissionDenied
from server.meetings import backfill
from server.meetings.checkin import hold_check_ins
from server.meetings.minutes import attendance_locked, lock_org_chain
from server.meetings.models import (
    MEETING_MISSING,
    Attendance,
    AttendanceStatus,
    CheckinFlag,
    CheckinMethod,
    LeaveRequest,
    LeaveStatus,
    Meeting,
    MeetingKind,
    meeting_participants,
    parse_flags,
)
from server.members.models import Member
from server.orgs.models import Organisation, OrgKind
from server.orgs.services import get_org, tree_order

DEFAULT_CHECKIN_LEAD = timedelta(minutes=30)
#: What :func:`update_meeting` may change. Not the organiser: the meeting counts for its compliance and
#: the minutes join its chain, so a meeting of another branch is cancelled and scheduled anew.
EDITABLE_FIELDS = frozenset(
    {
        "kind",
        "title",
        "starts_at",
        "ends_at",
        "place",
        "participants",
        "geofence",
        "checkin_opens_at",
        "checkin_closes_at",
        "backfill_reason",
        "strict_checkin",
    }
)
#: How many names a refusal lists before it says "等 N 人".
NAMES_SHOWN = 3


def get_meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(MEETING_MISSING)
    return meeting


def _check_participants(organiser: Organisation, participants: list[Organisation]) -> None:
    for org in participants:
        if org.kind not in (OrgKind.BRANCH, OrgKind.GROUP) or org.dissolved_at is not None:
            raise AppError("invalid_participants", f"“{org.name}”不是党支部或党小组，不能作为参会范围")


def _check_time_order(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise AppError("invalid_time", "结束时间应晚于开始时间")


def _check_geofence(geofence: tuple[float, float, int] | None) -> None:
    if geofence is not None and (len(geofence) != 3 or None in geofence):
        raise AppError("invalid_geofence", "定位签到需同时填写纬度、经度和半径")


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
    strict_checkin: bool = False,
    created_by_id: int | None = None,
    backfill_reason: str | None = None,
) -> Meeting:
    """Schedule a meeting. Participants default to the organiser; check-in opens 30 minutes early.

    A start already past is refused unless this is a 补录 with a reason (see :mod:`backfill`).

    ``strict_checkin`` (现场核验): only the secretary's scan of a member's personal code, or a hand entry,
    records presence.
    """
    _check_time_order(starts_at, ends_at)
    backfill_reason = backfill.clean_reason(backfill_reason)
    backfill.check_new(starts_at, ends_at, checkin_closes_at or ends_at, backfill_reason)
    _check_geofence(geofence)
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
        strict_checkin=strict_checkin,
        code_secret=secrets.token_hex(32),
        created_by_id=created_by_id,
        backfill_reason=backfill_reason,
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
    return _takes_part(member, participant_org_ids(meeting))


def _takes_part(member: Member, org_ids: set[int]) -> bool:
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


def ensure_editable(meeting: Meeting) -> None:
    """Refuse edits once the meeting is cancelled, or once its minutes (which hash its time) are final."""
    if meeting.cancelled_at is not None:
        raise AppError("meeting_cancelled", "会议已取消，不能再修改")
    if attendance_locked(meeting.id):
        raise AppError("minutes_finalised", "会议纪要已定稿，会议信息不能再修改；如有错漏，请在会议纪要中追加更正说明")


def is_editable(meeting: Meeting) -> bool:
    try:
        ensure_editable(meeting)
    except AppError:
        return False
    return True


def update_meeting(meeting: Meeting, **changes: Any) -> Meeting:
    """Change a scheduled meeting; only the fields given (see ``EDITABLE_FIELDS``) change.

    The same checks as scheduling apply, and more once the meeting is under way: nothing changes after
    cancellation or finalised minutes, the start stays put once members have checked in, and a branch or
    group whose members hold attendance rows stays a participant. Every check runs before anything is
    set, so a refusal leaves the meeting as it was. The audit trail records the changed fields.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_meeting() cannot change {sorted(unknown)}")
    lock_org_chain(meeting.organiser_org_id)  # so the minutes cannot be finalised halfway through an edit
    hold_check_ins(meeting.id)  # so attendance read below stays true until the edit commits
    ensure_editable(meeting)
    values = _validated_values(meeting, changes)
    participants = _validated_participants(meeting, changes["participants"]) if "participants" in changes else None
    if _reminder_outdated(meeting, values):
        # The reminder named the old time or place. Without the marker the reminder job sends a fresh one
        # a day before the new start, or within minutes if that is less than a day away.
        values["reminder_sent_at"] = None
    for key, value in values.items():
        setattr(meeting, key, value)
    if participants is not None:
        meeting.participant_orgs = participants
    db.session.flush()
    return meeting


def _validated_values(meeting: Meeting, changes: dict[str, Any]) -> dict[str, Any]:
    """The meeting's new column values, checked as scheduling checks them and as the rules under way ask."""
    starts_at = changes.get("starts_at", meeting.starts_at)
    ends_at = changes.get("ends_at", meeting.ends_at)
    _check_time_order(starts_at, ends_at)
    _check_start_may_move(meeting, starts_at)
    opens, closes = _checkin_window(
        meeting, starts_at, ends_at, changes.get("checkin_opens_at"), changes.get("checkin_closes_at")
    )
    reason = backfill.clean_reason(changes.get("backfill_reason", meeting.backfill_reason))
    backfill.check_edit(meeting, starts_at, ends_at, closes, reason)
    values: dict[str, Any] = {
        "starts_at": starts_at,
        "ends_at": ends_at,
        "checkin_opens_at": opens,
        "checkin_closes_at": closes,
        "backfill_reason": reason,
    }
    if "kind" in changes:
        values["kind"] = changes["kind"]
    if "title" in changes:
        values["title"] = changes["title"].strip()
    if "place" in changes:
        values["place"] = changes["place"].strip()
    if "strict_checkin" in changes:
        values["strict_checkin"] = bool(changes["strict_checkin"])
    if "geofence" in changes:
        _check_geofence(changes["geofence"])
        lat, lng, radius = changes["geofence"] or (None, None, None)
        values.update(geo_lat=lat, geo_lng=lng, geo_radius_m=radius)
    return values


def has_check_ins(meeting: Meeting) -> bool:
    """Whether any member has checked in (leave rows have no check-in time and do not count)."""
    found = db.session.scalar(
        sa.select(Attendance.id)
        .where(Attendance.meeting_id == meeting.id, Attendance.checked_in_at.is_not(None))
        .limit(1)
    )
    return found is not None


def has_approved_leave(meeting: Meeting) -> bool:
    found = db.session.scalar(
        sa.select(Attendance.id)
        .where(Attendance.meeting_id == meeting.id, Attendance.status == AttendanceStatus.LEAVE)
        .limit(1)
    )
    return found is not None


def start_fixed(meeting: Meeting) -> str | None:
    """Why the form may no longer move the meeting's date and start, or None while it may."""
    if has_check_ins(meeting):
        return "已有党员签到，日期和开始时间不能再修改。"
    if has_approved_leave(meeting):
        return "已批准党员请假，日期和开始时间不能再修改；如需改期，请取消本次会议后重新安排。"
    return None


def _check_start_may_move(meeting: Meeting, starts_at: datetime) -> None:
    if starts_at == meeting.starts_at:
        return
    # Each check-in was judged present or late against the start; moving it would quietly change
    # what those records say, and a meeting cannot have happened on another day than its arrivals.
    if has_check_ins(meeting):
        raise AppError("already_checked_in", "已有党员签到，不能再修改会议日期和开始时间")
    # Leave was asked for and granted for this date; on another day the member might well come, and
    # the record would say they were excused from a meeting they never asked leave from.
    if has_approved_leave(meeting):
        raise AppError(
            "leave_approved", "已批准党员请假，不能再修改会议日期和开始时间；如需改期，请取消本次会议后重新安排"
        )


def _checkin_window(
    meeting: Meeting,
    starts_at: datetime,
    ends_at: datetime,
    opens_at: datetime | None,
    closes_at: datetime | None,
) -> tuple[datetime, datetime]:
    """Times given win; otherwise a moved start or end takes its edge of the window along, as scheduling sets it."""
    if opens_at is None:
        opens_at = meeting.checkin_opens_at if starts_at == meeting.starts_at else starts_at - DEFAULT_CHECKIN_LEAD
    if closes_at is None:
        closes_at = meeting.checkin_closes_at if ends_at == meeting.ends_at else ends_at
    if closes_at <= opens_at:
        raise AppError("invalid_checkin_window", "签到截止时间应晚于签到开放时间")
    return opens_at, closes_at


def _validated_participants(meeting: Meeting, participants: Iterable[Organisation]) -> list[Organisation]:
    new = list(dict.fromkeys(participants)) or [meeting.organiser]
    # Orgs kept from before need no new check: one dissolved since the meeting was scheduled may stay.
    _check_participants(meeting.organiser, [org for org in new if org not in meeting.participant_orgs])
    _refuse_dropping_attendees(meeting, {org.id for org in new})
    _refuse_dropping_pending_leave(meeting, {org.id for org in new})
    return new


def _refuse_dropping_attendees(meeting: Meeting, new_org_ids: set[int]) -> None:
    """A member who checked in or is on approved leave must stay a participant, or their record would
    vanish from the roster and the attendance figures while still counting in the minutes."""
    _refuse_dropping(
        meeting,
        new_org_ids,
        Attendance,
        sa.true(),
        "participant_has_attendance",
        "已有党员签到或请假（{}），不能移出参会范围",
    )


def _refuse_dropping_pending_leave(meeting: Meeting, new_org_ids: set[int]) -> None:
    """A member whose leave request awaits a decision keeps their branch or group in the meeting.

    Refused rather than the request cancelled: the request is the member's own record about this
    meeting, and approving it after the removal would put a non-participant on leave. Deciding it
    first is one click, and a refused request no longer holds the branch.
    """
    _refuse_dropping(
        meeting,
        new_org_ids,
        LeaveRequest,
        LeaveRequest.status == LeaveStatus.PENDING,
        "participant_has_pending_leave",
        "有党员的请假申请待审批（{}），请先批准或不批准，再移出参会范围",
    )


def _refuse_dropping(
    meeting: Meeting,
    new_org_ids: set[int],
    record: type[Attendance] | type[LeaveRequest],
    condition: sa.ColumnElement[bool],
    code: str,
    message: str,
) -> None:
    """Refuse when a removed branch or group has members with a ``record`` (matching ``condition``) of
    this meeting who would no longer take part; ``message`` names them after the organisation."""
    removed = [org for org in meeting.participant_orgs if org.id not in new_org_ids]
    if not removed:
        return
    removed_ids = {org.id for org in removed}
    holders = db.session.scalars(
        sa.select(Member)
        .join(record, record.member_id == Member.id)
        .where(
            record.meeting_id == meeting.id,
            condition,
            sa.or_(Member.org_id.in_(removed_ids), Member.group_id.in_(removed_ids)),
        )
        .order_by(Member.name_sort)
    ).all()
    dropped = [member for member in holders if not _takes_part(member, new_org_ids)]
    for org in sorted(removed, key=lambda org: org.tree_key):
        names = [member.name for member in dropped if org.id in (member.org_id, member.group_id)]
        if names:
            raise AppError(code, f"“{org.name}”" + message.format(_some_names(names)))


def _some_names(names: list[str]) -> str:
    shown = "、".join(names[:NAMES_SHOWN])
    return shown if len(names) <= NAMES_SHOWN else f"{shown}等 {len(names)} 人"


def _reminder_outdated(meeting: Meeting, values: dict[str, Any]) -> bool:
    if meeting.reminder_sent_at is None:
        return False
    return values["starts_at"] != meeting.starts_at or values.get("place", meeting.place) != meeting.place


def secretary_account(admin: AdminUser | None, meeting: Meeting) -> AdminUser | None:
    """``admin`` (the account behind the phone, see ``auth.current.phone_admin_account``) if it may run
    check-in for ``meeting``."""
    if admin is None or not admin.role.can_write:
        return None
    return admin if can_see_org(admin, meeting.organiser) else None


# ---------------------------------------------------------------------------------------------------
# Secretary mode in the mini-program: scheduling a meeting from the phone


def planning_account(admin: AdminUser | None) -> AdminUser:
    """``admin`` (the account behind the phone, see ``auth.current.phone_admin_account``) if it may
    schedule meetings from the mini-program.

    The same rule as the admin's 安排会议 page: an account whose role may write; a read-only 支部委员
    account gets the admin's own refusal.
    """
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
            .order_by(tree_order())
        )
    )


def plan_meeting(admin: AdminUser, data: dict) -> Meeting:
    """Schedule a meeting as ``admin``, from a loaded ``MeetingFormSchema``.

    The organiser must be writable by the account and every participant within its scope, exactly as
    on the admin page. A start already past is refused unless it is a 补录 with a reason: entered
    otherwise it would be a back-dated record, which the regulations name as the problem this system
    exists to stop (see :mod:`backfill`). The admin's 安排会议 page calls this too.
    """
    organiser = require_org(admin, get_org(data["organiser_id"]), write=True)
    participants = [require_org(admin, get_org(org_id)) for org_id in data["participant_ids"]]
    return create_meeting(
        kind=data["kind"],
        title=data["title"],
        organiser=organiser,
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        place=data["place"],
        participants=participants,
        geofence=data["geofence"],
        strict_checkin=data["strict_checkin"],
        created_by_id=admin.id,
        backfill_reason=data.get("backfill_reason"),
    )


def attendance_of(meeting: Meeting, member: Member) -> Attendance | None:
    return db.session.scalar(
        sa.select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.member_id == member.id)
    )


def leave_of(meeting: Meeting, member: Member) -> LeaveRequest | None:
    return db.session.scalar(
        sa.select(LeaveRequest).where(LeaveRequest.meeting_id == meeting.id, LeaveRequest.member_id == member.id)
    )


# ---------------------------------------------------------------------------------------------------
# Who is expected and who has come: the admin's roster and live screen, and the phone's live list

#: How many names the phone's live list carries: at a 2,000-member assembly the full lists would be
#: resent every 3 seconds to a screen that shows a dozen lines; the counts always cover everyone.
LIVE_NAMES_SHOWN = 100


def _expected_members(meeting: Meeting) -> sa.ColumnElement[bool]:
    """Members whose branch or party group takes part in ``meeting``."""
    orgs = meeting.participant_orgs
    org_ids = [org.id for org in orgs]
    # A group's members all belong to the group's branch (members.services checks it), so the branches
    # narrow the search through the org_id index first: group_id has none, and this is polled.
    branch_ids = {org.parent_id if org.kind is OrgKind.GROUP else org.id for org in orgs}
    return sa.and_(Member.org_id.in_(branch_ids), sa.or_(Member.org_id.in_(org_ids), Member.group_id.in_(org_ids)))


def _roster_query(meeting: Meeting, *columns: Any) -> sa.Select:
    """``columns`` of everyone expected at ``meeting`` and their attendance row (nulls when none yet), by pinyin."""
    return (
        sa.select(*columns)
        .select_from(Member)
        .outerjoin(Attendance, sa.and_(Attendance.meeting_id == meeting.id, Attendance.member_id == Member.id))
        .where(_expected_members(meeting))
        .order_by(Member.name_sort, Member.id)
    )


def roster(meeting: Meeting) -> list[tuple[Member, Attendance | None]]:
    """Everyone expected at ``meeting``, in pinyin order, with their attendance row (None: not come yet)."""
    return [
        (member, attendance) for member, attendance in db.session.execute(_roster_query(meeting, Member, Attendance))
    ]


@dataclass(frozen=True)
class Arrival:
    name: str
    status: AttendanceStatus
    method: CheckinMethod
    checked_in_at: datetime
    #: marks the secretary should look at (see ``CheckinFlag``)
    flags: list[CheckinFlag]


@dataclass(frozen=True)
class LiveList:
    """Who has come to a meeting so far, as the live screen and the secretary's phone show it."""

    expected: int
    present: int
    late: int
    leave: int
    not_arrived: int
    #: newest first
    arrivals: list[Arrival]
    #: in pinyin order
    not_arrived_names: list[str]
    on_leave_names: list[str]

    @property
    def arrived(self) -> int:
        return self.present + self.late


def live_list(meeting: Meeting, *, names_shown: int | None = None) -> LiveList:
    """The counts over everyone expected, and up to ``names_shown`` names in each list (all with None).

    Plain columns rather than ORM rows: the live screen polls this every second, the phone every 3.
    """
    columns = (Member.name, Attendance.status, Attendance.method, Attendance.checked_in_at, Attendance.flags)
    rows = db.session.execute(_roster_query(meeting, *columns)).all()
    arrivals = [Arrival(*row[:4], parse_flags(row.flags)) for row in rows if row.checked_in_at is not None]
    arrivals.sort(key=lambda arrival: arrival.checked_in_at, reverse=True)
    waiting = [row.name for row in rows if row.status is None]
    on_leave = [row.name for row in rows if row.status is AttendanceStatus.LEAVE]
    return LiveList(
        expected=len(rows),
        present=sum(1 for arrival in arrivals if arrival.status is AttendanceStatus.PRESENT),
        late=sum(1 for arrival in arrivals if arrival.status is AttendanceStatus.LATE),
        leave=len(on_leave),
        not_arrived=len(waiting),
        arrivals=arrivals[:names_shown],
        not_arrived_names=waiting[:names_shown],
        on_leave_names=on_leave[:names_shown],
    )
