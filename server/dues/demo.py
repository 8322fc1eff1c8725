"""Demo dues: the 2008 rules, a base for every member (a raise this January for some), twelve months of
bills, most paid, some not. In the first branch four members are behind: seven months (past the Party
Constitution's line of six), five (one short of it: the arrears page shows them before the line), three
(just warned) and one.

Paid bills are paid by real payment rows (``_demo_payment``), so history, receipts and the ledger's
channels show what a year of a branch looks like.
"""

from __future__ import annotations

import itertools
import random
from datetime import datetime, time, timedelta

from server.db import db, utcnow
from server.dues import bills
from server.dues.bases import set_base
from server.dues.models import BaseSource, DuesBranchSettings
from server.dues.months import add_months, current_month
from server.dues.rules import ensure_rules_2008
from server.members.models import DuesCategory, Member
from server.orgs.models import Organisation
from server.timezone import display_zone

_payment_ids = itertools.count(1)


def _demo_payment(member: Member, bill_ids: list[int], extra_fen: int, paid_at: datetime, rng: random.Random) -> int:
    """A real payment row for a year of demo history: mostly WeChat Pay, some cash at a branch meeting.

    The last three days are paid in cash, so the daily reconciliation against the WeChat emulator (which
    never saw these orders) has nothing to report at first open.
    """
    import sqlalchemy as sa

    from server.dues.models import DuesBill
    from server.dues.payment_models import Channel, DuesPayment, DuesPaymentBill, PayerKind, PaymentStatus
    from server.dues.payments import new_trade_no

    lines = db.session.execute(
        sa.select(DuesBill.id, DuesBill.month, DuesBill.amount_fen).where(DuesBill.id.in_(bill_ids))
    ).all()
    wechat = paid_at < utcnow() - timedelta(days=3) and rng.random() < 0.8
    trade_no = new_trade_no("D" if wechat else "C")
    payment = DuesPayment(
        out_trade_no=trade_no,
        member_id=member.id,
        org_id=member.org_id,
        payer_kind=PayerKind.SELF,
        payer_member_id=member.id,
        payer_name=member.name,
        channel=Channel.WECHAT if wechat else Channel.CASH,
        status=PaymentStatus.PAID,
        amount_fen=sum(line.amount_fen for line in lines) + extra_fen,
        extra_fen=extra_fen,
        transaction_id=f"42{trade_no[-10:]}{rng.randrange(10**8):08d}" if wechat else None,
        receipt_no=None if wechat else f"XJ{paid_at:%Y%m}{next(_payment_ids):04d}",
        paid_at=paid_at,
    )
    payment.lines = [DuesPaymentBill(bill_id=line.id, month=line.month, amount_fen=line.amount_fen) for line in lines]
    db.session.add(payment)
    db.session.flush()
    return payment.id


def seed_dues(rng: random.Random, branches: list[Organisation], members: list[Member]) -> None:
    ensure_rules_2008()
    this = current_month()
    first = add_months(this, -11)
    january = this.replace(month=1)
    now = utcnow() - timedelta(minutes=5)
    if branches:
        db.session.add(DuesBranchSettings(org_id=branches[0].id, farmer_fen=50, allow_pay_ahead=True, ahead_months=3))
    for member in members:
        if member.dues_category is DuesCategory.EMPLOYED and rng.random() < 0.4:
            raised = member.dues_base_fen + rng.choice((30_000, 50_000, 80_000))
            set_base(member, january, raised, set_by_id=None, source=BaseSource.MANUAL)
    db.session.flush()
    for back in range(12):
        bills.generate_bills(add_months(this, -back))
    db.session.flush()
    # months left unpaid, counting this one: five ended months and this one, one and this, seven and this, …
    behind = dict(zip((m.id for m in members[1:5]), (6, 2, 8, 4), strict=False))
    for member in members:
        owed = behind.get(member.id)
        if owed is None:
            owed = 1 if rng.random() < 0.15 else 0  # this month not paid yet
        payable = [
            bill
            for bill in _bills_of(member, first, this)
            if bill.month <= add_months(this, -owed) and not (owed == 0 and bill.month == this and rng.random() < 0.3)
        ]
        # Paid in a few payments over the year, the way members pay: a quarter or a half at a time.
        step = rng.choice((1, 3, 6))
        for start in range(0, len(payable), step):
            chunk = payable[start : start + step]
            if not chunk:
                continue
            # paid some days into the chunk's last month (Beijing), never later than now
            month_start = datetime.combine(chunk[-1].month, time(9), tzinfo=display_zone())
            paid_at = min(month_start + timedelta(days=rng.randint(0, 25), minutes=rng.randint(0, 600)), now)
            ids = [bill.id for bill in chunk]
            extra = 1000 if rng.random() < 0.03 else 0  # 自愿多交 10 yuan now and then
            payment_id = _demo_payment(member, ids, extra, paid_at, rng)
            bills.mark_bills_paid(ids, payment_id, member_id=member.id, voluntary_extra_fen=extra, paid_at=paid_at)


def _bills_of(member: Member, first, last):
    import sqlalchemy as sa

    from server.dues.models import BillStatus, DuesBill

    return list(
        db.session.execute(
            sa.select(DuesBill.id, DuesBill.month)
            .where(
                DuesBill.member_id == member.id,
                DuesBill.month >= first,
                DuesBill.month <= last,
                DuesBill.status == BillStatus.UNPAID,
            )
            .order_by(DuesBill.month)
        )
    )
