"""出勤率, one definition for the committee's report and the member's 我的出勤.

A member is *expected* at a meeting when their branch or party group took part in it, it was not
cancelled and it has ended: a meeting under way or still to come is not yet an absence. They *attended*
when present or late; approved leave is expected but not attended. The rate is attended over expected.
Both the admin's 出勤率 and the mini-program's 我的出勤 read their figures from
:func:`attendance_figures`, so the same member gets the same rate in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from server.auth.scope import scope_filter, within
from server.db import db, utcnow
from server.meetings.compliance_rules import ATTENDED, local_midnight
from server.meetings.models import Attendance, AttendanceStatus, Meeting, meeting_participants
from server.members.models import Member
from server.orgs.models import Organisation, OrgKind
from server.orgs.services import tree_order
from server.tally import Counts, add_up

#: a member's status at a meeting with no attendance row
ABSENT = "absent"


def attendance_rate(attended: int, expected: int) -> float | None:
    return round(attended / expected, 4) if expected else None


def expected_meetings(members: sa.ColumnElement[bool], year: int) -> sa.Subquery:
    """(member id, meeting id, backfilled) for every meeting a member matching ``members`` was expected
    at in local calendar ``year``."""
    return _expected_between(members, local_midnight(date(year, 1, 1)), local_midnight(date(year + 1, 1, 1)))


def _expected_between(members: sa.ColumnElement[bool], since: datetime, until: datetime) -> sa.Subquery:
    """As :func:`expected_meetings`, for the meetings that started from ``since`` to before ``until``."""
    counted = [
        Meeting.cancelled_at.is_(None),
        Meeting.starts_at >= since,
        Meeting.starts_at < until,
        Meeting.ends_at <= utcnow(),
    ]
    # Two plain joins in a union rather than one join on an OR, which no index can serve.
    return sa.union(
        *(
            sa.select(
                Member.id.label("member_id"),
                Meeting.id.label("meeting_id"),
                Meeting.backfill_reason.is_not(None).label("backfilled"),
            )
            .join(meeting_participants, meeting_participants.c.org_id == via)
            .join(Meeting, Meeting.id == meeting_participants.c.meeting_id)
            .where(members, *counted)
            for via in (Member.org_id, Member.group_id)
        )
    ).subquery()


@dataclass(frozen=True)
class AttendanceFigures:
    """One member's year (or a branch's, summed)."""

    expected: int = 0
    present: int = 0
    late: int = 0
    leave: int = 0
    #: of the expected meetings, those recorded afterwards as 补录 (their attendance was entered by hand)
    backfilled: int = 0
    backfilled_attended: int = 0

    @property
    def attended(self) -> int:
        return self.present + self.late

    @property
    def absent(self) -> int:
        return self.expected - self.attended - self.leave

    @property
    def rate(self) -> float | None:
        return attendance_rate(self.attended, self.expected)

    def __add__(self, other: AttendanceFigures) -> AttendanceFigures:
        return AttendanceFigures(*(a + b for a, b in zip(self._values(), other._values(), strict=True)))

    def _values(self) -> tuple[int, ...]:
        return (self.expected, self.present, self.late, self.leave, self.backfilled, self.backfilled_attended)


def attendance_figures(members: sa.ColumnElement[bool], year: int) -> dict[int, AttendanceFigures]:
    """Member id → their figures in local calendar ``year``, for every member matching ``members`` who
    was expected somewhere (the others have none). One grouped query."""
    expected = expected_meetings(members, year)
    status = Attendance.status

    def count(*conditions: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.count(sa.case((sa.and_(*conditions), 1)))

    rows = db.session.execute(
        sa.select(
            expected.c.member_id,
            sa.func.count(),
            count(status == AttendanceStatus.PRESENT),
            count(status == AttendanceStatus.LATE),
            count(status == AttendanceStatus.LEAVE),
            count(expected.c.backfilled),
            count(expected.c.backfilled, status.in_((AttendanceStatus.PRESENT, AttendanceStatus.LATE))),
        )
        .outerjoin(
            Attendance,
            sa.and_(Attendance.meeting_id == expected.c.meeting_id, Attendance.member_id == expected.c.member_id),
        )
        .group_by(expected.c.member_id)
    )
    return {member_id: AttendanceFigures(*figures) for member_id, *figures in rows}


def totals_between(scope_path: str, since: datetime, until: datetime) -> tuple[int, int]:
    """(expected, attended) summed over the members in the subtree at ``scope_path``, for the meetings
    that started from ``since`` to before ``until`` and have ended: the dashboard's month."""
    total = add_up(totals_by_org(scope_path, since, until).values())
    return total.get("expected", 0), total.get("attended", 0)


def totals_by_org(scope_path: str, since: datetime, until: datetime) -> dict[int, Counts]:
    """Organisation id → {"expected": …, "attended": …} of :func:`totals_between`, per organisation of the
    subtree: expected where the members take part (their branch, or their party group), attended where
    the members belong (their branch).

    The same pairs as :func:`expected_meetings`, counted without listing them (a committee's month is
    hundreds of thousands): members are counted per taking-part branch and party group, a group left out
    where its own branch takes part too (its members are the branch's already); attended are the
    attendance rows of those meetings, present or late.
    """
    counted = sa.and_(
        Meeting.cancelled_at.is_(None),
        Meeting.starts_at >= since,
        Meeting.starts_at < until,
        Meeting.ends_at <= utcnow(),
    )
    taking_part = (
        sa.select(meeting_participants.c.meeting_id, meeting_participants.c.org_id)
        .join(Meeting, Meeting.id == meeting_participants.c.meeting_id)
        .where(counted, scope_filter(meeting_participants.c.org_id, scope_path))
        .subquery("taking_part")
    )
    branch = sa.orm.aliased(Organisation)
    parent_too = sa.exists().where(
        meeting_participants.c.meeting_id == taking_part.c.meeting_id,
        meeting_participants.c.org_id == branch.parent_id,
    )
    per_branch = sa.select(Member.org_id.label("org_id"), sa.func.count().label("n")).group_by(Member.org_id)
    per_group = (
        sa.select(Member.group_id.label("org_id"), sa.func.count().label("n"))
        .where(Member.group_id.is_not(None))
        .group_by(Member.group_id)
    )
    per_org: dict[int, Counts] = {}
    for per_unit, level in ((per_branch, OrgKind.BRANCH), (per_group, OrgKind.GROUP)):
        counts = per_unit.subquery()
        query = (
            sa.select(taking_part.c.org_id, sa.func.sum(counts.c.n))
            .select_from(taking_part)
            .join(counts, counts.c.org_id == taking_part.c.org_id)
            .join(branch, branch.id == taking_part.c.org_id)
            .group_by(taking_part.c.org_id)
        )
        if level is OrgKind.GROUP:
            query = query.where(~parent_too)
        for org_id, expected in db.session.execute(query):
            per_org.setdefault(org_id, {})["expected"] = int(expected)
    # Only members taking part can check in (or be marked present), so every row of these meetings is of
    # an expected member: no check per row. (One who has since moved branch counts where they belong now.)
    attended = (
        sa.select(Member.org_id, sa.func.count())
        .select_from(Attendance)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Member, Member.id == Attendance.member_id)
        .where(counted, Attendance.status.in_(ATTENDED), scope_filter(Member.org_id, scope_path))
        .group_by(Member.org_id)
    )
    for org_id, count in db.session.execute(attended):
        per_org.setdefault(org_id, {})["attended"] = count
    return per_org


@dataclass(frozen=True)
class MemberRate:
    member_id: int
    name: str
    org_id: int
    branch: str
    figures: AttendanceFigures


@dataclass(frozen=True)
class BranchRate:
    org_id: int
    name: str
    members: int
    figures: AttendanceFigures


@dataclass(frozen=True)
class AttendanceReport:
    year: int
    members: list[MemberRate]
    branches: list[BranchRate]

    def below(self, threshold: float, limit: int = 50) -> list[MemberRate]:
        """Members expected somewhere whose rate is under ``threshold``, lowest first."""
        low = [row for row in self.members if row.figures.rate is not None and row.figures.rate < threshold]
        return sorted(low, key=lambda row: (row.figures.rate, row.branch, row.name))[:limit]


def attendance_rates(scope_path: str, year: int) -> AttendanceReport:
    """Every member in the subtree at ``scope_path`` and every live branch there (summed over its
    members), for local calendar ``year``."""
    in_scope = scope_filter(Member.org_id, scope_path)
    figures = attendance_figures(in_scope, year)
    branches = db.session.execute(
        sa.select(Organisation.id, Organisation.name)
        .where(within(scope_path), Organisation.dissolved_at.is_(None), Organisation.kind == OrgKind.BRANCH)
        .order_by(tree_order())
    ).all()
    names: dict[int, str] = dict(branches)  # type: ignore[arg-type]
    totals = {branch_id: (0, AttendanceFigures()) for branch_id in names}
    members = []
    for member_id, name, org_id in db.session.execute(
        sa.select(Member.id, Member.name, Member.org_id).where(in_scope).order_by(Member.org_id, Member.name_sort)
    ):
        mine = figures.get(member_id, AttendanceFigures())
        members.append(MemberRate(member_id, name, org_id, names.get(org_id, ""), mine))
        if org_id in totals:
            count, summed = totals[org_id]
            totals[org_id] = (count + 1, summed + mine)
    return AttendanceReport(
        year, members, [BranchRate(branch_id, name, *totals[branch_id]) for branch_id, name in branches]
    )


@dataclass
class MeetingAttendance:
    """One meeting a member was expected at, and how they attended it."""

    meeting: Meeting
    #: "present", "late", "leave" (approved leave) or "absent"
    status: str


@dataclass
class MemberAttendance:
    """我的出勤: a member's calendar year, the meetings they were expected at (newest first) and the figures."""

    year: int
    meetings: list[MeetingAttendance]
    figures: AttendanceFigures


def member_attendance(member: Member, year: int) -> MemberAttendance:
    """``member``'s attendance in local calendar ``year``, as :func:`attendance_rates` counts it."""
    expected = expected_meetings(Member.id == member.id, year)
    rows = db.session.execute(
        sa.select(Meeting, Attendance.status)
        .join(expected, expected.c.meeting_id == Meeting.id)
        .outerjoin(Attendance, sa.and_(Attendance.meeting_id == Meeting.id, Attendance.member_id == member.id))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    )
    meetings = [MeetingAttendance(meeting, status.value if status else ABSENT) for meeting, status in rows]
    figures = attendance_figures(Member.id == member.id, year).get(member.id, AttendanceFigures())
    return MemberAttendance(year, meetings, figures)
