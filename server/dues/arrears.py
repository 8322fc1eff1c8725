"""Arrears: each member's run of consecutive unpaid months, warned at three and flagged at six.

The Party Constitution (Article 9): a member who, without proper reason, does not pay dues for six
consecutive months is regarded as having given up membership. So a member is *warned* (reminded
monthly) from ``WARN_MONTHS`` and *flagged* to the branch from ``FLAG_MONTHS``.

A run counts only months that have ended: the current month's bill is payable all month, so it is
not yet in arrears. The run is the unpaid bills after the member's latest settled (paid or waived)
ended month; months without a bill (before joining, a transfer gap) neither count nor break the run.
The whole subtree is answered by one grouped query, not a loop per member or per branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from server.auth.scope import scope_filter
from server.db import db
from server.dues.ledger_models import DuesReminder
from server.dues.models import BillStatus, DuesBill
from server.dues.months import current_month
from server.members.models import Member
from server.orgs.models import Organisation
from server.orgs.services import tree_order

WARN_MONTHS = 3
FLAG_MONTHS = 6


@dataclass(frozen=True)
class Arrears:
    member_id: int
    name: str
    org_id: int
    org_name: str
    months: int  # consecutive unpaid ended months
    first_month: date
    last_month: date
    owed_fen: int

    @property
    def flagged(self) -> bool:
        return self.months >= FLAG_MONTHS


def streaks(path: str, *, minimum: int = WARN_MONTHS, today: date | None = None) -> sa.Select:
    """(member id, months, first month, last month, owed fen) of members under ``path`` with a run ≥ minimum."""
    this = today or current_month()
    settled = (
        sa.select(DuesBill.member_id, sa.func.max(DuesBill.month).label("last"))
        .where(DuesBill.status != BillStatus.UNPAID, DuesBill.month < this)
        .group_by(DuesBill.member_id)
        .subquery("settled")
    )
    months = sa.func.count()
    return (
        sa.select(
            DuesBill.member_id,
            months.label("months"),
            sa.func.min(DuesBill.month).label("first_month"),
            sa.func.max(DuesBill.month).label("last_month"),
            sa.func.sum(DuesBill.amount_fen).label("owed_fen"),
        )
        .join(Member, Member.id == DuesBill.member_id)
        .outerjoin(settled, settled.c.member_id == DuesBill.member_id)
        .where(
            scope_filter(Member.org_id, path),
            DuesBill.status == BillStatus.UNPAID,
            DuesBill.month < this,
            sa.or_(settled.c.last.is_(None), DuesBill.month > settled.c.last),
        )
        .group_by(DuesBill.member_id)
        .having(months >= minimum)
    )


def members_in_arrears(path: str, *, minimum: int = WARN_MONTHS, today: date | None = None) -> list[Arrears]:
    """Members under ``path`` at least ``minimum`` months behind, longest run first."""
    runs = streaks(path, minimum=minimum, today=today).subquery("runs")
    rows = db.session.execute(
        sa.select(runs, Member.name, Member.org_id, Organisation.name.label("org_name"))
        .join(Member, Member.id == runs.c.member_id)
        .join(Organisation, Organisation.id == Member.org_id)
        .order_by(runs.c.months.desc(), tree_order(), Member.name_sort)
    ).all()
    return [
        Arrears(
            member_id=row.member_id,
            name=row.name,
            org_id=row.org_id,
            org_name=row.org_name,
            months=row.months,
            first_month=row.first_month,
            last_month=row.last_month,
            owed_fen=int(row.owed_fen),
        )
        for row in rows
    ]


def streak_of(member_id: int, *, today: date | None = None) -> int:
    """One member's run (0 when up to date), by the same rule as the lists."""
    member = db.session.get(Member, member_id)
    if member is None:
        return 0
    runs = streaks(member.org.path, minimum=1, today=today).where(DuesBill.member_id == member_id)
    row = db.session.execute(runs).first()
    return row.months if row else 0


def last_reminders(member_ids: list[int]) -> dict[int, DuesReminder]:
    """Each member's latest arrears reminder (``reminders.send_reminders``), by member id; one query."""
    if not member_ids:
        return {}
    latest = (
        sa.select(DuesReminder.member_id, sa.func.max(DuesReminder.month).label("month"))
        .where(DuesReminder.member_id.in_(member_ids))
        .group_by(DuesReminder.member_id)
        .subquery("latest")
    )
    rows = db.session.scalars(
        sa.select(DuesReminder).join(
            latest, sa.and_(DuesReminder.member_id == latest.c.member_id, DuesReminder.month == latest.c.month)
        )
    )
    return {row.member_id: row for row in rows}


@dataclass(frozen=True)
class BranchArrears:
    org_id: int
    name: str
    warned: int  # members from WARN_MONTHS up to FLAG_MONTHS - 1
    flagged: int  # members at FLAG_MONTHS or more
    owed_fen: int


def by_branch(items: list[Arrears]) -> list[BranchArrears]:
    """The list grouped by the members' branches, the most flagged first."""
    groups: dict[int, list[Arrears]] = {}
    for item in items:
        groups.setdefault(item.org_id, []).append(item)
    rows = [
        BranchArrears(
            org_id=org_id,
            name=members[0].org_name,
            warned=sum(1 for m in members if not m.flagged),
            flagged=sum(1 for m in members if m.flagged),
            owed_fen=sum(m.owed_fen for m in members),
        )
        for org_id, members in groups.items()
    ]
    return sorted(rows, key=lambda row: (-row.flagged, -row.warned, row.name))
