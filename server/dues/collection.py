"""This month's dues at a glance, for the dashboard: what the month's bills ask of the members in a
subtree and how much of it is paid, by the ledger's definitions (server/dues/ledger.py: expected leaves
waived bills out; paid is the amount of the bills paid, whenever they were paid). One query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from server.auth.scope import scope_filter
from server.db import db
from server.dues.models import BillStatus, DuesBill


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


def month_collection(path: str, month: date) -> MonthCollection:
    """The bills of ``month`` collected by the branches in the subtree at ``path``."""
    owed = DuesBill.status != BillStatus.WAIVED
    paid = DuesBill.status == BillStatus.PAID
    row = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((owed, DuesBill.amount_fen), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((paid, DuesBill.amount_fen), else_=0)), 0),
            sa.func.count(sa.case((owed, 1))),
            sa.func.count(sa.case((paid, 1))),
        ).where(scope_filter(DuesBill.org_id, path), DuesBill.month == month)
    ).one()
    return MonthCollection(month, int(row[0]), int(row[1]), row[2], row[3])
