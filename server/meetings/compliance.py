"""Whether branches held the meetings they must ("三会一课"), who has gone quiet, and attendance rates.

Frequencies default to the 2018 branch work regulations (see DESIGN.md) and each deployment may
override them with ``MEETING_FREQUENCIES`` (kind → "month" | "quarter" | "year" | None to disable).
Times are stored in UTC; months, quarters and years are the calendar periods of the display time zone
(``DISPLAY_TIMEZONE``, Asia/Shanghai by default).

A meeting counts for an organisation when that organisation organised it or took part in it (a joint
lecture counts for every participating branch); party group meetings count per group. Only meetings
that have started and were not cancelled count. A 支委会 counts only when more than half of the branch
committee was present (present or late); the committee is the branch's members who hold a secretary or
committee admin account for that branch. Everything for a whole subtree is read in a handful of
queries, not per branch.

A 补录 (a meeting held on paper, recorded afterwards: ``meetings.backfill``) counts apart: a requirement
met only by 补录 is not missing, but says 补录 rather than 是, and the counts of on-time and 补录
meetings are listed separately. The 30-day inactivity warning counts only meetings recorded on time:
a branch warned today could otherwise silence it at once by entering 补录 for old dates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from server.auth.models import AdminUser, Role
from server.auth.scope import scope_filter, subtree_ids, within
from server.db import db, utcnow
from server.meetings.models import (
    MEETING_KIND_LABELS,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    meeting_participants,
)
from server.members.models import Member
from server.orgs.models import Organisation, OrgKind
from server.spreadsheets import text_cell, workbook_bytes
from server.timezone import display_zone, local_date

MONTH, QUARTER, YEAR = "month", "quarter", "year"
FREQUENCY_LABELS = {MONTH: "每月", QUARTER: "每季度", YEAR: "每年"}

DEFAULT_FREQUENCIES: dict[MeetingKind, str | None] = {
    MeetingKind.BRANCH_ASSEMBLY: QUARTER,
    MeetingKind.BRANCH_COMMITTEE: MONTH,
    MeetingKind.GROUP_MEETING: MONTH,  # per party group, only for branches that have groups
    MeetingKind.THEME_DAY: MONTH,
    MeetingKind.LIFE_MEETING: YEAR,
    MeetingKind.HEART_TALK: YEAR,
    MeetingKind.PARTY_LECTURE: QUARTER,
}

#: the order requirements are listed in
KIND_ORDER = (
    MeetingKind.BRANCH_ASSEMBLY,
    MeetingKind.BRANCH_COMMITTEE,
    MeetingKind.GROUP_MEETING,
    MeetingKind.PARTY_LECTURE,
    MeetingKind.THEME_DAY,
    MeetingKind.LIFE_MEETING,
    MeetingKind.HEART_TALK,
    MeetingKind.OTHER,
)

ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
COMMITTEE_ROLES = (Role.SECRETARY, Role.COMMITTEE)


# ---------------------------------------------------------------------------------------------------
# Frequencies and periods


def meeting_frequencies(overrides: Mapping[str, str | None] | None = None) -> dict[MeetingKind, str]:
    """The frequencies in force: the defaults with the deployment's ``MEETING_FREQUENCIES`` applied.

    Kinds mapped to None are not required. An unknown kind or frequency is a configuration error.
    """
    if overrides is None:
        overrides = current_app.config.get("MEETING_FREQUENCIES") or {}
    merged: dict[MeetingKind, str | None] = dict(DEFAULT_FREQUENCIES)
    for key, value in overrides.items():
        try:
            kind = MeetingKind(key)
        except ValueError:
            raise ValueError(f"MEETING_FREQUENCIES: unknown meeting kind {key!r}") from None
        if value is not None and value not in FREQUENCY_LABELS:
            raise ValueError(f"MEETING_FREQUENCIES[{key!r}]: expected month, quarter, year or null, not {value!r}")
        merged[kind] = value
    return {kind: value for kind, value in merged.items() if value is not None}


@dataclass(frozen=True)
class Period:
    """A local calendar month, quarter or year; ``end`` is its last day."""

    label: str
    start: date
    end: date


def _period_of(frequency: str, day: date) -> Period:
    if frequency == MONTH:
        start = day.replace(day=1)
        following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        return Period(f"{day.year}年{day.month}月", start, following - timedelta(days=1))
    if frequency == QUARTER:
        quarter = (day.month - 1) // 3 + 1
        start = date(day.year, 3 * quarter - 2, 1)
        following = date(day.year + 1, 1, 1) if quarter == 4 else date(day.year, 3 * quarter + 1, 1)
        return Period(f"{day.year}年第{quarter}季度", start, following - timedelta(days=1))
    if frequency == YEAR:
        return Period(f"{day.year}年", date(day.year, 1, 1), date(day.year, 12, 31))
    raise ValueError(f"unknown frequency {frequency!r}")


def periods_between(frequency: str, start: date, end: date) -> list[Period]:
    """Every calendar period of ``frequency`` that overlaps ``start``..``end`` (both included)."""
    if end < start:
        raise ValueError("period_end is before period_start")
    periods = []
    day = start
    while day <= end:
        period = _period_of(frequency, day)
        periods.append(period)
        day = period.end + timedelta(days=1)
    return periods


def local_midnight(day: date) -> datetime:
    """Start of a local day (display time zone), in UTC."""
    return datetime.combine(day, time.min, display_zone()).astimezone(UTC)


def local_today() -> date:
    return local_date(utcnow())


# ---------------------------------------------------------------------------------------------------
# Results


@dataclass
class Requirement:
    """One required meeting kind in one period for one branch (or one party group of it)."""

    kind: MeetingKind
    label: str
    period: str
    period_start: date
    period_end: date
    required: int
    #: held, recorded on time
    held: int
    #: held at least the required number (on time and 补录 together)
    ok: bool
    #: the party group this requirement is for (group meetings only)
    group_id: int | None = None
    group_name: str | None = None
    #: the period has not ended yet, so a shortfall is not (yet) a failure
    in_progress: bool = False
    notes: list[str] = field(default_factory=list)
    #: held, recorded afterwards as 补录
    backfilled: int = 0

    @property
    def by_backfill(self) -> bool:
        """Met only thanks to 补录."""
        return self.ok and self.held < self.required

    @property
    def failed(self) -> bool:
        """Not held and the period is over."""
        return not self.ok and not self.in_progress

    @property
    def notes_text(self) -> str:
        return "；".join(self.notes)


@dataclass
class BranchReport:
    branch: Organisation
    requirements: list[Requirement]
    #: members of the branch committee on record (0 when not recorded)
    committee_size: int = 0

    @property
    def committee_recorded(self) -> bool:
        return self.committee_size > 0

    @property
    def non_compliant(self) -> bool:
        """Some required meeting was not held in a period that has ended."""
        return any(requirement.failed for requirement in self.requirements)

    @property
    def missing(self) -> list[Requirement]:
        return [requirement for requirement in self.requirements if requirement.failed]


@dataclass
class InactiveBranch:
    branch: Organisation
    #: local date of the last meeting that started, or None if it never held one
    last_meeting_on: date | None
    #: days since the last meeting (or since the branch was created, if it never held one)
    idle_days: int


# ---------------------------------------------------------------------------------------------------
# Queries shared by the views


def _counted_meetings(path: str, since: datetime | None, until: datetime) -> list[sa.ColumnElement[bool]]:
    """Conditions on ``Meeting``: started before ``until``, not cancelled, touching the subtree at ``path``."""
    conditions = [
        Meeting.cancelled_at.is_(None),
        Meeting.starts_at < until,
        sa.or_(
            Meeting.organiser_org_id.in_(subtree_ids(path)),
            Meeting.id.in_(
                sa.select(meeting_participants.c.meeting_id).where(meeting_participants.c.org_id.in_(subtree_ids(path)))
            ),
        ),
    ]
    if since is not None:
        conditions.append(Meeting.starts_at >= since)
    return conditions


def _meeting_org_rows(path: str, since: datetime | None, until: datetime) -> sa.Select:
    """(meeting id, kind, starts_at, org id, backfilled) for the organiser and each participant of counted
    meetings."""
    conditions = _counted_meetings(path, since, until)
    backfilled = Meeting.backfill_reason.is_not(None)
    as_organiser = sa.select(
        Meeting.id.label("meeting_id"),
        Meeting.kind.label("kind"),
        Meeting.starts_at.label("starts_at"),
        Meeting.organiser_org_id.label("org_id"),
        backfilled.label("backfilled"),
    ).where(*conditions)
    as_participant = (
        sa.select(Meeting.id, Meeting.kind, Meeting.starts_at, meeting_participants.c.org_id, backfilled)
        .join(meeting_participants, meeting_participants.c.meeting_id == Meeting.id)
        .where(*conditions)
    )
    return sa.union(as_organiser, as_participant)


def _committee_members(path: str) -> dict[int, set[int]]:
    """Branch id → member ids of its committee: members of the branch with a secretary/committee account."""
    rows = db.session.execute(
        sa.select(AdminUser.org_id, AdminUser.member_id)
        .join(Member, Member.id == AdminUser.member_id)
        .where(
            AdminUser.role.in_(COMMITTEE_ROLES),
            AdminUser.active.is_(True),
            Member.org_id == AdminUser.org_id,
            AdminUser.org_id.in_(subtree_ids(path)),
        )
    )
    committees: dict[int, set[int]] = defaultdict(set)
    for org_id, member_id in rows:
        committees[org_id].add(member_id)
    return committees


def _committee_attendance(path: str, since: datetime, until: datetime) -> dict[int, dict[int | None, int]]:
    """Committee meeting id → {branch id whose committee member attended (None: anyone else): count}.

    One grouped query over the attendance of every counted 支委会 in the window.
    """
    committee_account = (
        sa.select(AdminUser.member_id, AdminUser.org_id)
        .join(Member, Member.id == AdminUser.member_id)
        .where(AdminUser.role.in_(COMMITTEE_ROLES), AdminUser.active.is_(True), Member.org_id == AdminUser.org_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Attendance.meeting_id, committee_account.c.org_id, sa.func.count())
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .outerjoin(committee_account, committee_account.c.member_id == Attendance.member_id)
        .where(
            Meeting.kind == MeetingKind.BRANCH_COMMITTEE,
            Attendance.status.in_(ATTENDED),
            *_counted_meetings(path, since, until),
        )
        .group_by(Attendance.meeting_id, committee_account.c.org_id)
    )
    counts: dict[int, dict[int | None, int]] = defaultdict(dict)
    for meeting_id, org_id, count in rows:
        counts[meeting_id][org_id] = count
    return counts


# ---------------------------------------------------------------------------------------------------
# Compliance


def _compliance(
    path: str,
    only_branch: Organisation | None,
    period_start: date,
    period_end: date,
    today: date | None,
) -> list[BranchReport]:
    today = today or local_today()
    frequencies = meeting_frequencies()
    periods = {kind: periods_between(frequency, period_start, period_end) for kind, frequency in frequencies.items()}
    if not periods:
        window_start, window_end = period_start, period_end
    else:
        window_start = min(p[0].start for p in periods.values())
        window_end = max(p[-1].end for p in periods.values())
    since = local_midnight(window_start)
    until = min(local_midnight(window_end + timedelta(days=1)), utcnow())

    # 1. the live branches and their groups
    orgs = db.session.scalars(
        sa.select(Organisation)
        .where(
            within(path),
            Organisation.dissolved_at.is_(None),
            Organisation.kind.in_((OrgKind.BRANCH, OrgKind.GROUP)),
        )
        .order_by(Organisation.path)
    ).all()
    branches = [org for org in orgs if org.kind is OrgKind.BRANCH]
    if only_branch is not None:
        branches = [org for org in branches if org.id == only_branch.id]
    groups: dict[int, list[Organisation]] = defaultdict(list)
    for org in orgs:
        if org.kind is OrgKind.GROUP and org.parent_id is not None:
            groups[org.parent_id].append(org)
    for members in groups.values():
        members.sort(key=lambda g: (g.sort_order, g.name))
    if not branches:
        return []

    # 2. every counted meeting in the window, once per organisation it counts for
    held: dict[tuple[int, MeetingKind], list[tuple[date, int]]] = defaultdict(list)
    backfilled: set[int] = set()
    committee_meetings = False
    if frequencies:
        for meeting_id, kind, starts_at, org_id, on_paper in db.session.execute(_meeting_org_rows(path, since, until)):
            kind = MeetingKind(kind)
            if kind in frequencies:
                held[(org_id, kind)].append((local_date(starts_at), meeting_id))
                if on_paper:
                    backfilled.add(meeting_id)
                committee_meetings |= kind is MeetingKind.BRANCH_COMMITTEE

    # 3. committees and how many of them attended each 支委会
    committees: dict[int, set[int]] = {}
    attendance: dict[int, dict[int | None, int]] = {}
    if MeetingKind.BRANCH_COMMITTEE in frequencies:
        committees = _committee_members(path)
        if committee_meetings:
            attendance = _committee_attendance(path, since, until)

    reports = []
    for branch in branches:
        committee = committees.get(branch.id, set())
        requirements: list[Requirement] = []
        for kind in KIND_ORDER:
            if kind not in frequencies:
                continue
            if kind is MeetingKind.GROUP_MEETING:
                for group in groups.get(branch.id, []):
                    requirements += _requirements(
                        kind, periods[kind], held[(group.id, kind)], today, group=group, backfilled=backfilled
                    )
                continue
            valid = None
            if kind is MeetingKind.BRANCH_COMMITTEE:
                valid = _committee_validity(branch.id, len(committee), held[(branch.id, kind)], attendance)
            requirements += _requirements(
                kind, periods[kind], held[(branch.id, kind)], today, valid=valid, backfilled=backfilled
            )
            if kind is MeetingKind.BRANCH_COMMITTEE and not committee:
                for requirement in requirements:
                    if requirement.kind is kind:
                        requirement.notes.insert(0, "支部委员会成员未登记，有签到记录的支委会即计入")
        reports.append(BranchReport(branch, requirements, committee_size=len(committee)))
    return reports


def _committee_validity(
    branch_id: int,
    committee_size: int,
    meetings: list[tuple[date, int]],
    attendance: dict[int, dict[int | None, int]],
) -> dict[int, str | None]:
    """Meeting id → None when the 支委会 counts for this branch, else the note saying why not."""
    result: dict[int, str | None] = {}
    for day, meeting_id in meetings:
        counts = attendance.get(meeting_id, {})
        when = f"{day.month}月{day.day}日"
        if committee_size:
            present = counts.get(branch_id, 0)
            if present * 2 > committee_size:
                result[meeting_id] = None
            else:
                result[meeting_id] = f"{when}支委会到会未过半（{present}/{committee_size}），不计入"
        else:
            result[meeting_id] = None if sum(counts.values()) else f"{when}支委会无签到记录，不计入"
    return result


def _requirements(
    kind: MeetingKind,
    periods: list[Period],
    meetings: list[tuple[date, int]],
    today: date,
    *,
    group: Organisation | None = None,
    valid: dict[int, str | None] | None = None,
    backfilled: Collection[int] = (),
) -> list[Requirement]:
    label = MEETING_KIND_LABELS[kind] + (f"（{group.name}）" if group else "")
    result = []
    for period in periods:
        held, on_paper, notes = 0, 0, []
        for day, meeting_id in sorted(meetings):
            if not period.start <= day <= period.end:
                continue
            reason = valid.get(meeting_id) if valid is not None else None
            if reason is not None:
                notes.append(reason)
            elif meeting_id in backfilled:
                on_paper += 1
            else:
                held += 1
        in_progress = period.end >= today
        if in_progress and held + on_paper < 1:
            notes.append("本期尚未结束")
        result.append(
            Requirement(
                kind=kind,
                label=label,
                period=period.label,
                period_start=period.start,
                period_end=period.end,
                required=1,
                held=held,
                backfilled=on_paper,
                ok=held + on_paper >= 1,
                group_id=group.id if group else None,
                group_name=group.name if group else None,
                in_progress=in_progress,
                notes=notes,
            )
        )
    return result


def branch_compliance(
    branch: Organisation, period_start: date, period_end: date, *, today: date | None = None
) -> list[Requirement]:
    """What ``branch`` had to hold in the calendar periods overlapping ``period_start``..``period_end``.

    ``today`` (local date, default now) decides which periods are still in progress.
    """
    if branch.kind is not OrgKind.BRANCH:
        raise ValueError(f"{branch.name} is not a branch")
    reports = _compliance(branch.path or "", branch, period_start, period_end, today)
    return reports[0].requirements if reports else []


def subtree_compliance(
    scope_path: str, period_start: date, period_end: date, *, today: date | None = None
) -> list[BranchReport]:
    """A report for every live branch in the subtree at ``scope_path`` ("/" is every root), in tree order."""
    return _compliance(scope_path, None, period_start, period_end, today)


def inactive_branches(scope_path: str, today: date, days: int = 30) -> list[InactiveBranch]:
    """Live branches in the subtree at ``scope_path`` with no meeting started in the last ``days`` days.

    Meetings of the branch's party groups count as activity; 补录 do not (see the module's docstring).
    A branch younger than ``days`` that never met is not warned yet.
    """
    path = scope_path
    until = min(local_midnight(today + timedelta(days=1)), utcnow())
    orgs = db.session.execute(
        sa.select(Organisation.id, Organisation.kind, Organisation.parent_id).where(
            within(path),
            Organisation.kind.in_((OrgKind.BRANCH, OrgKind.GROUP)),
        )
    ).all()
    branch_of = {org_id: (org_id if kind is OrgKind.BRANCH else parent_id) for org_id, kind, parent_id in orgs}
    rows = _meeting_org_rows(path, None, until).subquery()
    last: dict[int, datetime] = {}
    for org_id, starts_at in db.session.execute(
        sa.select(rows.c.org_id, sa.func.max(rows.c.starts_at))
        .where(rows.c.backfilled.is_(False))
        .group_by(rows.c.org_id)
    ):
        branch_id = branch_of.get(org_id)
        if branch_id is not None and starts_at is not None:
            starts_at = _aware(starts_at)
            if branch_id not in last or starts_at > last[branch_id]:
                last[branch_id] = starts_at
    branches = db.session.scalars(
        sa.select(Organisation)
        .where(
            within(path),
            Organisation.dissolved_at.is_(None),
            Organisation.kind == OrgKind.BRANCH,
        )
        .order_by(Organisation.path)
    )
    result = []
    for branch in branches:
        last_on = local_date(last[branch.id]) if branch.id in last else None
        since = last_on or local_date(branch.created_at)
        idle = (today - since).days
        if idle >= days:
            result.append(InactiveBranch(branch, last_on, idle))
    return result


def _aware(value: datetime | str) -> datetime:
    """max() over a union loses the column type on SQLite; read the value back as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------------
# Attendance rates


def _rate(attended: int, expected: int) -> float | None:
    return round(attended / expected, 4) if expected else None


def _expected_meetings(members: sa.ColumnElement[bool], year: int, *, ended_only: bool = False) -> sa.Subquery:
    """(member id, meeting id, backfilled) for every meeting a member matching ``members`` was expected at
    in local calendar ``year``: their branch or party group took part, it started (with ``ended_only``:
    it ended) and it was not cancelled.
    """
    now = utcnow()
    since = local_midnight(date(year, 1, 1))
    until = min(local_midnight(date(year + 1, 1, 1)), now)
    counted = [Meeting.cancelled_at.is_(None), Meeting.starts_at >= since, Meeting.starts_at < until]
    if ended_only:
        counted.append(Meeting.ends_at <= now)
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


def attendance_rates(scope_path: str, year: int) -> dict[str, list[dict[str, Any]]]:
    """Per member in the subtree at ``scope_path``: meetings they were expected at in local calendar ``year`` (their
    branch or party group took part, started, not cancelled) and how many of those they attended
    (present or late); per live branch, the same summed over its members. ``backfilled`` and
    ``backfilled_attended`` count, of those, the 补录 meetings apart (their attendance was entered by hand).
    """
    path = scope_path
    members_in_scope = scope_filter(Member.org_id, path)
    expected = _expected_meetings(members_in_scope, year)
    counts = {
        member_id: tuple(figures)
        for member_id, *figures in db.session.execute(
            sa.select(
                expected.c.member_id,
                sa.func.count(),
                sa.func.count(Attendance.id),
                sa.func.count(sa.case((expected.c.backfilled, 1))),
                sa.func.count(sa.case((expected.c.backfilled, Attendance.id))),
            )
            .outerjoin(
                Attendance,
                sa.and_(
                    Attendance.meeting_id == expected.c.meeting_id,
                    Attendance.member_id == expected.c.member_id,
                    Attendance.status.in_(ATTENDED),
                ),
            )
            .group_by(expected.c.member_id)
        )
    }
    branches = db.session.execute(
        sa.select(Organisation.id, Organisation.name)
        .where(
            within(path),
            Organisation.dissolved_at.is_(None),
            Organisation.kind == OrgKind.BRANCH,
        )
        .order_by(Organisation.path)
    ).all()
    branch_names = dict(branches)
    totals: dict[int, list[int]] = {branch_id: [0, 0, 0, 0, 0] for branch_id, _ in branches}
    member_rows = []
    for member_id, name, org_id in db.session.execute(
        sa.select(Member.id, Member.name, Member.org_id)
        .where(members_in_scope)
        .order_by(Member.org_id, Member.name_sort)
    ):
        figures = counts.get(member_id, (0, 0, 0, 0))
        expected, attended, backfilled, backfilled_attended = figures
        member_rows.append(
            {
                "member_id": member_id,
                "name": name,
                "org_id": org_id,
                "branch": branch_names.get(org_id, ""),
                "expected": expected,
                "attended": attended,
                "rate": _rate(attended, expected),
                "backfilled": backfilled,
                "backfilled_attended": backfilled_attended,
            }
        )
        if org_id in totals:
            totals[org_id] = [a + b for a, b in zip(totals[org_id], (1, *figures), strict=True)]
    branch_rows = [
        {
            "org_id": branch_id,
            "name": name,
            "members": totals[branch_id][0],
            "expected": totals[branch_id][1],
            "attended": totals[branch_id][2],
            "rate": _rate(totals[branch_id][2], totals[branch_id][1]),
            "backfilled": totals[branch_id][3],
            "backfilled_attended": totals[branch_id][4],
        }
        for branch_id, name in branches
    ]
    return {"members": member_rows, "branches": branch_rows}


#: a member's status at a meeting with no attendance row
ABSENT = "absent"


@dataclass
class MeetingAttendance:
    """One meeting a member was expected at, and how they attended it."""

    meeting: Meeting
    #: "present", "late", "leave" (approved leave) or "absent"
    status: str


@dataclass
class MemberAttendance:
    """A member's calendar year: the ended meetings they were expected at, newest first, and the counts."""

    year: int
    meetings: list[MeetingAttendance]

    def _count(self, status: str) -> int:
        return sum(1 for item in self.meetings if item.status == status)

    @property
    def present(self) -> int:
        return self._count(AttendanceStatus.PRESENT)

    @property
    def late(self) -> int:
        return self._count(AttendanceStatus.LATE)

    @property
    def leave(self) -> int:
        return self._count(AttendanceStatus.LEAVE)

    @property
    def absent(self) -> int:
        return self._count(ABSENT)

    @property
    def expected(self) -> int:
        return len(self.meetings)

    @property
    def attended(self) -> int:
        return self.present + self.late

    @property
    def rate(self) -> float | None:
        """Attended (present or late) over expected, as :func:`attendance_rates` computes it."""
        return _rate(self.attended, self.expected)


def member_attendance(member: Member, year: int) -> MemberAttendance:
    """``member``'s attendance in local calendar ``year``, counted as :func:`attendance_rates` counts it
    but over meetings that have ended: a meeting still under way is not yet an absence.
    """
    expected = _expected_meetings(Member.id == member.id, year, ended_only=True)
    rows = db.session.execute(
        sa.select(Meeting, Attendance.status)
        .join(expected, expected.c.meeting_id == Meeting.id)
        .outerjoin(Attendance, sa.and_(Attendance.meeting_id == Meeting.id, Attendance.member_id == member.id))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    )
    return MemberAttendance(
        year, [MeetingAttendance(meeting, status.value if status else ABSENT) for meeting, status in rows]
    )


# ---------------------------------------------------------------------------------------------------
# Export

EXPORT_COLUMNS = (
    ("组织", 30),
    ("会议类型", 24),
    ("周期", 14),
    ("应开", 8),
    ("按时召开", 10),
    ("补录", 8),
    ("是否达标", 10),
    ("说明", 60),
)


def _status(requirement: Requirement) -> str:
    if requirement.by_backfill:
        return "补录"
    if requirement.ok:
        return "是"
    return "未到期" if requirement.in_progress else "否"


def _export_rows(reports: Iterable[BranchReport]) -> Iterator[list[Any]]:
    for report in reports:
        for requirement in report.requirements:
            org = report.branch.name + (f"／{requirement.group_name}" if requirement.group_name else "")
            yield [
                org,
                MEETING_KIND_LABELS[requirement.kind],
                requirement.period,
                requirement.required,
                requirement.held,
                requirement.backfilled,
                _status(requirement),
                requirement.notes_text,
            ]


def compliance_workbook(reports: Iterable[BranchReport]) -> bytes:
    """The compliance reports as a spreadsheet, one row per branch (or group), kind and period."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("三会一课")
    for index, (_, width) in enumerate(EXPORT_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([title for title, _ in EXPORT_COLUMNS])
    for row in _export_rows(reports):
        sheet.append([text_cell(sheet, value) for value in row])
    return workbook_bytes(book)


def attendance_workbook(rates: dict[str, list[dict[str, Any]]]) -> bytes:
    """Attendance rates as a workbook: one sheet per branch totals, one per member."""
    book = Workbook(write_only=True)
    for title, rows, columns in (
        ("支部出勤率", rates["branches"], (("支部", "name"), ("党员数", "members"))),
        ("党员出勤率", rates["members"], (("姓名", "name"), ("支部", "branch"))),
    ):
        sheet = book.create_sheet(title)
        sheet.append(
            [label for label, _ in columns] + ["应参会次数", "实到次数", "出勤率", "其中补录会议", "补录会议实到"]
        )
        for row in rows:
            rate = "" if row["rate"] is None else f"{row['rate']:.0%}"
            figures = [row["expected"], row["attended"], rate, row["backfilled"], row["backfilled_attended"]]
            sheet.append([text_cell(sheet, row[key]) for _, key in columns] + figures)
    return workbook_bytes(book)
