"""This month's dues at a glance, for the dashboard: what the month's bills ask of the members in a
subtree and how much of it is paid, by the ledger's definitions (server/dues/ledger.py: expected leaves
waived bills out; paid is the amount of the bills paid, whenever they were paid).

Counted per collecting organisation (one grouped query), so that a subtree's figures are the sum of its
organisations' and the dashboard's summary (server/admin/dashboard_counts.py) adds up the same counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from server.auth.scope import scope_filter
from server.db import db
from server.dues.models import BillStatus, DuesBill
from server.tally import Counts, add_up


@dataclass(frozen=True)
class MonthCollection:
    month: date
    expected_fen: int
    paid_fen: int
    bills: int  # bills of the month, waived ones left out
    paid_bills: int

    @property
    def rate(self) -> float | None:
        """Share of the expected amount paid, as the ledger's 收缴率; None when nothing is expected."""
        return self.paid_fen / self.expected_fen if self.expected_fen else None

    @classmethod
    def of(cls, month: date, counts: Counts) -> MonthCollection:
        return cls(month, *(counts.get(name, 0) for name in ("expected_fen", "paid_fen", "bills", "paid_bills")))


def counts_by_org(path: str, month: date) -> dict[int, Counts]:
    """Organisation id → the counts of ``MonthCollection`` for the bills of ``month`` it collects, for the
    organisations in the subtree at ``path`` that have any."""
    owed = DuesBill.status != BillStatus.WAIVED
    paid = DuesBill.status == BillStatus.PAID
    rows = db.session.execute(
        sa.select(
            DuesBill.org_id,
            sa.func.sum(sa.case((owed, DuesBill.amount_fen), else_=0)),
            sa.func.sum(sa.case((paid, DuesBill.amount_fen), else_=0)),
            sa.func.count(sa.case((owed, 1))),
            sa.func.count(sa.case((paid, 1))),
        )
        .where(scope_filter(DuesBill.org_id, path), DuesBill.month == month)
        .group_by(DuesBill.org_id)
    )
    names = ("expected_fen", "paid_fen", "bills", "paid_bills")
    return {row[0]: dict(zip(names, (int(value) for value in row[1:]), strict=True)) for row in rows}


def month_collection(path: str, month: date) -> MonthCollection:
    """The bills of ``month`` collected by the branches in the subtree at ``path``."""
    return MonthCollection.of(month, add_up(counts_by_org(path, month).values()))
