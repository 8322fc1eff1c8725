"""Bills over past months, paid or not, for the ledger and arrears tests."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from server.db import db
from server.dues import bills
from server.dues.models import DuesBill
from server.dues.months import add_months, current_month
from server.dues.payment_models import Channel, DuesPayment, PayerKind, PaymentStatus
from server.timezone import display_zone

THIS = current_month()
_payments = itertools.count(1)


def make_months(count: int) -> list[date]:
    """Bills for the last ``count`` months up to this one, oldest first."""
    months = [add_months(THIS, -back) for back in reversed(range(count))]
    for month in months:
        bills.generate_bills(month)
    db.session.commit()
    return months


def bill_of(member, month: date) -> DuesBill:
    return db.session.scalar(sa.select(DuesBill).where(DuesBill.member_id == member.id, DuesBill.month == month))


def pay(member, months: list[date], *, at: datetime | None = None, extra: int = 0) -> None:
    """Pay those months' bills; by default on the 10th of the last one, 10:00 Beijing time."""
    when = at or datetime.combine(max(months).replace(day=10), time(10), tzinfo=display_zone())
    lines = [bill_of(member, month) for month in months]
    payment = DuesPayment(
        out_trade_no=f"TEST{next(_payments):010d}",
        member_id=member.id,
        org_id=member.org_id,
        payer_kind=PayerKind.ADMIN,
        payer_name="测试",
        channel=Channel.CASH,
        status=PaymentStatus.PAID,
        amount_fen=sum(bill.amount_fen for bill in lines) + extra,
        extra_fen=extra,
        receipt_no="R1",
        paid_at=when,
    )
    db.session.add(payment)
    db.session.flush()
    ids = [bill.id for bill in lines]
    bills.mark_bills_paid(ids, payment.id, member_id=member.id, voluntary_extra_fen=extra, paid_at=when)
    db.session.commit()


def pay_all_but(member, unpaid: int) -> None:
    """Pay every ended month of the member except the last ``unpaid`` ones (this month stays unpaid)."""
    ended = db.session.scalars(
        sa.select(DuesBill.month).where(DuesBill.member_id == member.id, DuesBill.month < THIS).order_by(DuesBill.month)
    ).all()
    keep = ended[: len(ended) - unpaid]
    if keep:
        pay(member, list(keep), at=datetime.now(display_zone()) - timedelta(minutes=1))
