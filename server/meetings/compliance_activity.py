"""Branches gone quiet: no meeting for 30 days (a practice of several local "e支部" systems).

Only meetings recorded on time count: a branch warned today could otherwise silence the warning at
once by entering 补录 for old dates. Meetings of a branch's party groups are its activity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from server.auth.scope import within
from server.db import db, utcnow
from server.meetings.compliance_queries import as_utc, live_units, meeting_org_rows
from server.meetings.compliance_rules import local_midnight
from server.orgs.models import Organisation, OrgKind
from server.timezone import local_date


@dataclass
class InactiveBranch:
    branch: Organisation
    #: local date of the last meeting that started, or None if it never held one
    last_meeting_on: date | None
    #: days since the last meeting (or since the branch was created, if it never held one)
    idle_days: int


def inactive_branches(scope_path: str, today: date, days: int = 30) -> list[InactiveBranch]:
    """Live branches in the subtree at ``scope_path`` with no meeting started in the last ``days`` days.

    A branch younger than ``days`` that never met is not warned yet.
    """
    last = _last_meetings(scope_path, today)
    result = []
    for branch in live_units(scope_path):
        if branch.kind is not OrgKind.BRANCH:
            continue
        last_on = local_date(last[branch.id]) if branch.id in last else None
        idle = (today - (last_on or local_date(branch.created_at))).days
        if idle >= days:
            result.append(InactiveBranch(branch, last_on, idle))
    return result


def _last_meetings(path: str, today: date) -> dict[int, datetime]:
    """Branch id → start of its (or its groups') last meeting recorded on time, up to the end of ``today``."""
    until = min(local_midnight(today + timedelta(days=1)), utcnow())
    branch_of = {
        org_id: (org_id if kind is OrgKind.BRANCH else parent_id)
        for org_id, kind, parent_id in db.session.execute(
            sa.select(Organisation.id, Organisation.kind, Organisation.parent_id).where(
                within(path), Organisation.kind.in_((OrgKind.BRANCH, OrgKind.GROUP))
            )
        )
    }
    rows = meeting_org_rows(path, None, until).subquery()
    last: dict[int, datetime] = {}
    for org_id, starts_at in db.session.execute(
        sa.select(rows.c.org_id, sa.func.max(rows.c.starts_at))
        .where(rows.c.backfilled.is_(False))
        .group_by(rows.c.org_id)
    ):
        branch_id = branch_of.get(org_id)
        if branch_id is not None and starts_at is not None:
            starts_at = as_utc(starts_at)
            if branch_id not in last or starts_at > last[branch_id]:
                last[branch_id] = starts_at
    return last
