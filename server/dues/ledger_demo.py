"""Demo arrears and remittances: two more members of the first branch behind (one past the six-month
line, one on the three-month warning), and each branch and general branch's quarterly remittance of
the past quarters, for what it collected (branches) or received (general branches)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from server.db import db
from server.dues.ledger import ledger
from server.dues.ledger_models import DuesRemittance
from server.dues.models import BillStatus, DuesBill
from server.dues.months import add_months, current_month
from server.members.models import Member
from server.orgs.models import Organisation


def _fall_behind(member: Member, ended_months: int, this: date) -> None:
    """Undo the member's payments of their last ``ended_months`` ended months and this month (demo only)."""
    db.session.execute(
        sa.update(DuesBill)
        .where(DuesBill.member_id == member.id, DuesBill.month >= add_months(this, -ended_months))
        .values(status=BillStatus.UNPAID, paid_by_payment_id=None, paid_at=None, voluntary_extra_fen=0)
    )


def _past_quarters(this: date) -> list[tuple[date, date]]:
    """Quarters that have ended and began no more than a year ago, oldest first."""
    start = date(this.year, 3 * ((this.month - 1) // 3) + 1, 1)
    quarters = [(add_months(start, -3 * n), add_months(start, -3 * n + 2)) for n in (4, 3, 2, 1)]
    return [(first, last) for first, last in quarters if first >= add_months(this, -11)]


def seed_ledger(branches: list[Organisation], members: list[Member]) -> None:
    this = current_month()
    if len(members) > 4:
        _fall_behind(members[3], 7, this)
        _fall_behind(members[4], 3, this)
    db.session.flush()
    generals: dict[int, Organisation] = {}
    for first, last in _past_quarters(this):
        handed: dict[int, int] = {}
        for branch in branches:
            collected = ledger(branch, first, last).total.collected_fen
            if collected and branch.parent_id is not None:
                note = f"{first:%Y}年第{(first.month - 1) // 3 + 1}季度党费"
                db.session.add(
                    DuesRemittance(
                        from_org_id=branch.id,
                        to_org_id=branch.parent_id,
                        first_month=first,
                        last_month=last,
                        amount_fen=collected,
                        note=note,
                    )
                )
                handed[branch.parent_id] = handed.get(branch.parent_id, 0) + collected
                generals.setdefault(branch.parent_id, branch.parent)
        for general_id, amount in handed.items():
            general = generals[general_id]
            if general.parent_id is not None:
                db.session.add(
                    DuesRemittance(
                        from_org_id=general_id,
                        to_org_id=general.parent_id,
                        first_month=first,
                        last_month=last,
                        amount_fen=amount,
                        note="汇总上缴",
                    )
                )
        db.session.flush()
