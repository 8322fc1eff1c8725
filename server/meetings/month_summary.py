"""This month's meetings at a glance, for the dashboard: how many were held and are still to come, how
many of the monthly required meetings (支委会, 党小组会, 主题党日 by default) have been held so far, and
the check-in rate of the month's ended meetings (last month's while none of this month's has ended).

The figures use the definitions of the pages they link to: a meeting counts for an organisation as in
the compliance report (organised or taken part in, started, not cancelled, and a 支委会 only with more
than half of the branch committee there: compliance_report.inquorate); the rate is 出勤率 as in
server/meetings/attendance.py (a meeting under way is not an absence yet).

Everything is counted per organisation (the organiser; the branch or party group a requirement is for;
where members take part and belong), so a subtree's figures are the sum of its organisations' and the
dashboard's periodic summary (server/admin/dashboard_counts.py) adds up the same counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from server.auth.scope import scope_filter, within
from server.db import db, utcnow
from server.dues.months import add_months
from server.meetings import attendance
from server.meetings import compliance_queries as queries
from server.meetings.compliance_report import inquorate
from server.meetings.compliance_rules import MONTH, local_midnight, meeting_frequencies
from server.meetings.models import Meeting, MeetingKind
from server.orgs.models import Organisation, OrgKind
from server.tally import Counts, add_up
from server.timezone import display_zone


@dataclass(frozen=True)
class MeetingMonth:
    month: date
    held: int  # meetings organised in the subtree that have started this month
    coming: int  # still to come this month
    due: int  # monthly requirements this month (a branch or party group × a monthly kind)
    met: int  # of those, held so far (a 支委会 with its quorum)
    expected: int  # members expected at the ended meetings of ``rate_month``
    attended: int  # of those, present or late
    #: the month the check-in rate is of: this one, or the one before while none of this month's has ended
    rate_month: date

    @property
    def met_rate(self) -> float | None:
        return self.met / self.due if self.due else None

    @property
    def attendance_rate(self) -> float | None:
        return attendance.attendance_rate(self.attended, self.expected)

    @classmethod
    def of(cls, month: date, counts: Counts) -> MeetingMonth:
        """The figures from a subtree's counts (:func:`counts_by_org` added up)."""
        rate_month, expected, attended = month, counts.get("expected", 0), counts.get("attended", 0)
        if not expected:  # the first days of a month: last month's rate says more than a dash
            rate_month = add_months(month, -1)
            expected, attended = counts.get("expected_before", 0), counts.get("attended_before", 0)
        due, met = counts.get("due", 0), counts.get("met", 0)
        return cls(month, counts.get("held", 0), counts.get("coming", 0), due, met, expected, attended, rate_month)


def month_summary(path: str, month: date) -> MeetingMonth:
    """The figures of local calendar ``month`` for the subtree at ``path``."""
    return MeetingMonth.of(month, add_up(counts_by_org(path, month).values()))


def counts_by_org(path: str, month: date) -> dict[int, Counts]:
    """Organisation id → its counts of local calendar ``month`` ("held", "coming", "due", "met",
    "expected", "attended", and last month's "expected_before", "attended_before")."""
    since, until = local_midnight(month), local_midnight(add_months(month, 1))
    now = min(utcnow(), until)
    per_org: dict[int, Counts] = defaultdict(dict)
    organised = (
        sa.select(
            Meeting.organiser_org_id,
            sa.func.count(sa.case((Meeting.starts_at < now, 1))),
            sa.func.count(sa.case((Meeting.starts_at >= now, 1))),
        )
        .where(
            scope_filter(Meeting.organiser_org_id, path),
            Meeting.cancelled_at.is_(None),
            Meeting.starts_at >= since,
            Meeting.starts_at < until,
        )
        .group_by(Meeting.organiser_org_id)
    )
    for org_id, held, coming in db.session.execute(organised):
        per_org[org_id].update(held=held, coming=coming)
    for org_id, (due, met) in _monthly_requirements(path, since, now).items():
        per_org[org_id].update(due=due, met=met)
    before = local_midnight(add_months(month, -1))
    for suffix, (start, end) in (("", (since, now)), ("_before", (before, since))):
        for org_id, counts in attendance.totals_by_org(path, start, end).items():
            per_org[org_id].update({name + suffix: value for name, value in counts.items()})
    return dict(per_org)


def _level(kind: MeetingKind) -> OrgKind:
    return OrgKind.GROUP if kind is MeetingKind.GROUP_MEETING else OrgKind.BRANCH


def _monthly_requirements(path: str, since: datetime, now: datetime) -> dict[int, tuple[int, int]]:
    """Branch or party group id → (due, met) over the monthly kinds, by the compliance report's rule
    (compliance_rules.requirement_state): each live branch (party group for 党小组会) set up by the
    month's first day owes one of each kind; one set up later owes nothing this month, but a meeting it
    held still counts; a 支委会 without its quorum is not held (compliance_report.inquorate)."""
    monthly = [kind for kind, frequency in meeting_frequencies().items() if frequency == MONTH]
    if not monthly:
        return {}
    set_up_by = since + timedelta(days=1)  # set up on the 1st (local) counts as there all month
    units = db.session.execute(
        sa.select(Organisation.id, Organisation.kind, Organisation.created_at < set_up_by).where(
            within(path),
            Organisation.dissolved_at.is_(None),
            Organisation.kind.in_((OrgKind.BRANCH, OrgKind.GROUP)),
        )
    ).all()
    level_of_kind = {kind: _level(kind) for kind in monthly}
    kinds_at = {level: sum(at == level for at in level_of_kind.values()) for level in (OrgKind.BRANCH, OrgKind.GROUP)}
    owed = {org_id: kinds_at[level] if early else 0 for org_id, level, early in units}
    # Kinds met per unit: counted in the database, but for the 支委会, whose quorum the compliance
    # report's rule judges meeting by meeting.
    rows = queries.meeting_org_rows(path, since, now).subquery()
    at_level = sa.and_(
        rows.c.org_id == Organisation.id,
        Organisation.dissolved_at.is_(None),
        sa.or_(*(sa.and_(rows.c.kind == kind, Organisation.kind == level) for kind, level in level_of_kind.items())),
    )
    others = [kind for kind in monthly if kind is not MeetingKind.BRANCH_COMMITTEE]
    met: dict[int, int] = {}
    if others:
        met = dict(
            db.session.execute(
                sa.select(rows.c.org_id, sa.func.count(sa.distinct(rows.c.kind)))
                .join(Organisation, at_level)
                .where(rows.c.kind.in_(others))
                .group_by(rows.c.org_id)
            ).all()
        )
    if MeetingKind.BRANCH_COMMITTEE in level_of_kind:
        held: dict[int, list[tuple[date, int]]] = defaultdict(list)
        zone = display_zone()  # once: 6,500 支委会 in a committee's month
        for meeting_id, starts_at, org_id in db.session.execute(
            sa.select(rows.c.meeting_id, rows.c.starts_at, rows.c.org_id)
            .join(Organisation, at_level)
            .where(rows.c.kind == MeetingKind.BRANCH_COMMITTEE)
        ):
            held[org_id].append((starts_at.astimezone(zone).date(), meeting_id))
        if held:
            sizes = queries.committee_sizes(path)
            present = queries.committee_attendance(path, since, now)
            for org_id, meetings in held.items():
                if len(inquorate(org_id, sizes.get(org_id, 0), meetings, present)) < len(meetings):
                    met[org_id] = met.get(org_id, 0) + 1
    counts = {org_id: [due, 0] for org_id, due in owed.items() if due}
    for org_id, kinds in met.items():
        figures = counts.setdefault(org_id, [0, 0])
        figures[1] += kinds
        if not owed.get(org_id):  # set up during the month: what it held is counted, as the report does
            figures[0] += kinds
    return {org_id: (due, met) for org_id, (due, met) in counts.items()}
