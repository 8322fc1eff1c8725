"""This month's meetings at a glance, for the dashboard: how many were held and are still to come, how
many of the monthly required meetings (支委会, 党小组会, 主题党日 by default) have been held so far, and
the check-in rate of the month's ended meetings (last month's while none has ended yet).

The figures use the definitions of the pages they link to: a meeting counts for an organisation as in
the compliance report (organised or taken part in, started, not cancelled); the rate is 出勤率 as in
server/meetings/attendance.py (a meeting under way is not an absence yet). "Held so far" does not judge a
支委会's quorum: the compliance page does, and the panel links there. A handful of grouped queries over
indexed columns, whatever the size of the subtree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from server.auth.scope import scope_filter, within
from server.db import db, utcnow
from server.dues.months import add_months
from server.meetings import attendance
from server.meetings.compliance_queries import meeting_org_rows
from server.meetings.compliance_rules import MONTH, local_midnight, meeting_frequencies
from server.meetings.models import Meeting, MeetingKind
from server.orgs.models import Organisation, OrgKind


@dataclass(frozen=True)
class MeetingMonth:
    month: date
    held: int  # meetings organised in the subtree that have started this month
    coming: int  # still to come this month
    due: int  # monthly requirements this month (a branch or party group × a monthly kind)
    met: int  # of those, held so far
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


def month_summary(path: str, month: date) -> MeetingMonth:
    """The figures of local calendar ``month`` for the subtree at ``path``."""
    since, until = local_midnight(month), local_midnight(add_months(month, 1))
    now = min(utcnow(), until)
    organised = sa.select(
        sa.func.count(sa.case((Meeting.starts_at < now, 1))), sa.func.count(sa.case((Meeting.starts_at >= now, 1)))
    ).where(
        scope_filter(Meeting.organiser_org_id, path),
        Meeting.cancelled_at.is_(None),
        Meeting.starts_at >= since,
        Meeting.starts_at < until,
    )
    held, coming = db.session.execute(organised).one()
    due, met = _monthly_requirements(path, since, now)
    rate_month = month
    expected, attended = attendance.totals_between(path, since, now)
    if not expected:  # the first days of a month: last month's rate says more than a dash
        rate_month = add_months(month, -1)
        expected, attended = attendance.totals_between(path, local_midnight(rate_month), since)
    return MeetingMonth(month, held, coming, due, met, expected, attended, rate_month)


def _monthly_requirements(path: str, since, now) -> tuple[int, int]:
    """(due, met) over the monthly kinds, by the compliance report's rule (compliance_rules.requirement_state):
    each live branch (party group for 党小组会) set up by the month's first day owes one of each kind; one
    set up later owes nothing this month, but a meeting it held still counts."""
    monthly = [kind for kind, frequency in meeting_frequencies().items() if frequency == MONTH]
    if not monthly:
        return 0, 0
    set_up_by = since + timedelta(days=1)  # set up on the 1st (local) counts as there all month
    live = [within(path), Organisation.dissolved_at.is_(None)]
    units = dict(
        db.session.execute(
            sa.select(Organisation.kind, sa.func.count())
            .where(*live, Organisation.created_at < set_up_by, Organisation.kind.in_((OrgKind.BRANCH, OrgKind.GROUP)))
            .group_by(Organisation.kind)
        ).all()
    )

    def level(kind: MeetingKind) -> OrgKind:
        return OrgKind.GROUP if kind is MeetingKind.GROUP_MEETING else OrgKind.BRANCH

    rows = meeting_org_rows(path, since, now).subquery()
    right_level = sa.or_(
        *(sa.and_(rows.c.kind == kind, Organisation.kind == level(kind)) for kind in monthly)  # type: ignore[arg-type]
    )
    pairs = (
        sa.select(rows.c.kind, rows.c.org_id, (Organisation.created_at >= set_up_by).label("new"))
        .distinct()
        .join(Organisation, Organisation.id == rows.c.org_id)
        .where(*live, right_level)
        .subquery()
    )
    met, new = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.case((pairs.c.new, 1)))).select_from(pairs)
    ).one()
    return sum(units.get(level(kind), 0) for kind in monthly) + new, met
