"""Per branch and period, which required meetings were held ("三会一课"): one requirement per branch (or
party group), kind and period, in the state :func:`compliance_rules.requirement_state` gives it.

A 支委会 counts only when more than half of the branch committee was present (present or late); the
committee is the branch's members who hold a secretary or committee account for that branch.

A 补录 (a meeting held on paper, recorded afterwards: ``meetings.backfill``) counts apart: a requirement
met only by 补录 is not missing, but says 补录, and the counts of on-time and 补录 meetings are kept
separately.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta

from server.db import db, utcnow
from server.meetings import compliance_queries as queries
from server.meetings.compliance_rules import (
    Period,
    State,
    committee_quorum_note,
    local_midnight,
    meeting_frequencies,
    periods_between,
    requirement_state,
)
from server.meetings.models import MEETING_KIND_LABELS, MeetingKind
from server.orgs.models import Organisation, OrgKind
from server.timezone import local_date, local_today

#: (local day, meeting id) of the meetings held by one organisation, of one kind
Held = list[tuple[date, int]]


@dataclass
class Requirement:
    """One required meeting kind in one period for one branch (or one party group of it)."""

    kind: MeetingKind
    label: str
    period: str
    period_start: date
    period_end: date
    state: State
    #: held, recorded on time
    held: int
    #: held, recorded afterwards as 补录
    backfilled: int = 0
    required: int = 1
    #: the party group this requirement is for (group meetings only)
    group_id: int | None = None
    group_name: str | None = None
    #: the period has not ended yet
    in_progress: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Held at least the required number (on time and 补录 together)."""
        return self.held + self.backfilled >= self.required

    @property
    def by_backfill(self) -> bool:
        """Met only thanks to 补录."""
        return self.state is State.BACKFILLED

    @property
    def failed(self) -> bool:
        """Not held, the period is over, and the branch existed for all of it."""
        return self.state is State.MISSING

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


@dataclass
class _Window:
    """The periods asked about per kind and the stretch of time they cover together."""

    periods: dict[MeetingKind, list[Period]]
    today: date

    @classmethod
    def of(cls, start: date, end: date, today: date) -> _Window:
        return cls({kind: periods_between(f, start, end) for kind, f in meeting_frequencies().items()}, today)

    def bounds(self, start: date, end: date):
        if self.periods:
            start = min(p[0].start for p in self.periods.values())
            end = max(p[-1].end for p in self.periods.values())
        return local_midnight(start), min(local_midnight(end + timedelta(days=1)), utcnow())


def _compliance(
    path: str, only_branch: Organisation | None, start: date, end: date, today: date | None
) -> list[BranchReport]:
    window = _Window.of(start, end, today or local_today())
    units = queries.live_units(path)
    branches = [org for org in units if org.kind is OrgKind.BRANCH]
    if only_branch is not None:
        branches = [org for org in branches if org.id == only_branch.id]
    if not branches:
        return []
    groups: dict[int, list[Organisation]] = defaultdict(list)
    for org in units:
        if org.kind is OrgKind.GROUP and org.parent_id is not None:
            groups[org.parent_id].append(org)
    since, until = window.bounds(start, end)
    held, backfilled = _held(path, since, until, window)
    committees: dict[int, int] = {}
    attendance: dict[int, dict[int | None, int]] = {}
    if MeetingKind.BRANCH_COMMITTEE in window.periods:
        committees = queries.committee_sizes(path)
        if any(kind is MeetingKind.BRANCH_COMMITTEE for _, kind in held):
            attendance = queries.committee_attendance(path, since, until)
    reports = []
    for branch in branches:
        size = committees.get(branch.id, 0)
        requirements: list[Requirement] = []
        for kind, periods in window.periods.items():
            if kind is MeetingKind.GROUP_MEETING:
                for group in sorted(groups.get(branch.id, []), key=lambda g: (g.sort_order, g.name)):
                    requirements += _requirements(
                        kind, periods, held[(group.id, kind)], window.today, group, backfilled
                    )
                continue
            invalid = {}
            if kind is MeetingKind.BRANCH_COMMITTEE:
                invalid = inquorate(branch.id, size, held[(branch.id, kind)], attendance)
            requirements += _requirements(
                kind, periods, held[(branch.id, kind)], window.today, branch, backfilled, invalid
            )
        reports.append(BranchReport(branch, requirements, committee_size=size))
    return reports


def _held(path: str, since, until, window: _Window) -> tuple[dict[tuple[int, MeetingKind], Held], set[int]]:
    """Every counted meeting of a required kind in the window, once per organisation it counts for; and
    which of them are 补录."""
    held: dict[tuple[int, MeetingKind], Held] = defaultdict(list)
    backfilled: set[int] = set()
    if not window.periods:
        return held, backfilled
    for meeting_id, kind, starts_at, org_id, on_paper in db.session.execute(
        queries.meeting_org_rows(path, since, until)
    ):
        kind = MeetingKind(kind)
        if kind in window.periods:
            held[(org_id, kind)].append((local_date(starts_at), meeting_id))
            if on_paper:
                backfilled.add(meeting_id)
    return held, backfilled


def inquorate(
    branch_id: int, committee_size: int, meetings: Held, attendance: dict[int, dict[int | None, int]]
) -> dict[int, str]:
    """Meeting id → why the 支委会 does not count for this branch, for those that do not."""
    result = {}
    for day, meeting_id in meetings:
        counts = attendance.get(meeting_id, {})
        present = counts.get(branch_id, 0) if committee_size else sum(counts.values())
        note = committee_quorum_note(day, present, committee_size)
        if note is not None:
            result[meeting_id] = note
    return result


def _requirements(
    kind: MeetingKind,
    periods: list[Period],
    meetings: Held,
    today: date,
    unit: Organisation,
    backfilled: Collection[int],
    invalid: dict[int, str] | None = None,
) -> list[Requirement]:
    """One requirement per period for ``unit`` (a branch, or a party group for group meetings)."""
    group = unit if unit.kind is OrgKind.GROUP else None
    label = MEETING_KIND_LABELS[kind] + (f"（{group.name}）" if group else "")
    existed_from = local_date(unit.created_at)
    result = []
    for period in periods:
        on_time, on_paper, notes = 0, 0, []
        for day, meeting_id in sorted(meetings):
            if not period.contains(day):
                continue
            if invalid and meeting_id in invalid:
                notes.append(invalid[meeting_id])
            elif meeting_id in backfilled:
                on_paper += 1
            else:
                on_time += 1
        result.append(
            Requirement(
                kind=kind,
                label=label,
                period=period.label,
                period_start=period.start,
                period_end=period.end,
                state=requirement_state(on_time, on_paper, period, existed_from, today),
                held=on_time,
                backfilled=on_paper,
                group_id=group.id if group else None,
                group_name=group.name if group else None,
                in_progress=period.end >= today,
                notes=notes,
            )
        )
    return result
