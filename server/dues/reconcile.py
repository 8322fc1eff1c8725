"""The daily reconciliation: WeChat's trade bill for a Beijing day against our books, and our books
against themselves.

Every difference is stored in a ``ReconciliationReport`` (one per run; a day may be run again, the
page shows the latest) and shown to the committee's finance admins. Kinds:

- ``missing_ours``: WeChat took money (or refunded) and we have no such paid payment (or refund);
- ``missing_wechat``: we hold a payment (or refund) as done that WeChat's bill does not list;
- ``amount``: both have it, with different amounts;
- ``unapplied``: money received for an order whose bills were paid otherwise (payments' docstring);
- ``bill``: a bill of one of the day's payments no longer agrees with the payment (paid by another,
  unpaid without a refund, or its amount changed since it was paid): someone edited the database.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from server.db import db
from server.dues.models import BILL_STATUS_LABELS, BillStatus, DuesBill
from server.dues.paygate import get_pay
from server.dues.payment_models import (
    Channel,
    DuesPayment,
    DuesPaymentBill,
    DuesRefund,
    PaymentStatus,
    ReconciliationReport,
    RefundKind,
    RefundStatus,
)
from server.money import money_text
from server.timezone import display_zone

TAKEN = (PaymentStatus.PAID, PaymentStatus.PARTLY_REFUNDED, PaymentStatus.REFUNDED, PaymentStatus.UNAPPLIED)

KIND_LABELS = {
    "missing_ours": "微信有、本系统无",
    "missing_wechat": "本系统有、微信无",
    "amount": "金额不符",
    "unapplied": "已收款未入账",
    "bill": "账单与缴费记录不符",
}


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), display_zone())
    return start, start + timedelta(days=1)


def _diff(kind: str, no: str, detail: str) -> dict[str, str]:
    return {"kind": kind, "out_trade_no": no, "detail": detail}


def reconcile(day: date) -> ReconciliationReport:
    """Compare ``day``'s trade bill with our books and store the report (the caller commits)."""
    bill = get_pay().trade_bill(day)
    start, end = _day_bounds(day)
    ours = {
        p.out_trade_no: p
        for p in db.session.scalars(
            sa.select(DuesPayment)
            .where(
                DuesPayment.channel == Channel.WECHAT,
                DuesPayment.status.in_(TAKEN),
                DuesPayment.paid_at >= start,
                DuesPayment.paid_at < end,
            )
            .execution_options(populate_existing=True)
        )
    }
    our_refunds = {
        r.out_refund_no: r
        for r in db.session.scalars(
            sa.select(DuesRefund)
            .where(
                DuesRefund.kind == RefundKind.REFUND,
                DuesRefund.status == RefundStatus.SUCCESS,
                DuesRefund.succeeded_at >= start,
                DuesRefund.succeeded_at < end,
            )
            .execution_options(populate_existing=True)
        )
    }
    differences: list[dict[str, str]] = []
    theirs_paid = {row.out_trade_no: row for row in bill.rows if row.trade_state == "SUCCESS"}
    # a refund line whose money did not go back (closed, abnormal) is no refund in our books either
    theirs_refunds = {
        row.out_refund_no: row for row in bill.rows if row.trade_state == "REFUND" and row.refund_status == "SUCCESS"
    }
    for no, row in sorted(theirs_paid.items()):
        payment = ours.get(no)
        if payment is None:
            differences.append(_diff("missing_ours", no, f"微信收款 {money_text(row.order_fen)}，本系统无已支付记录"))
        elif payment.amount_fen != row.order_fen:
            differences.append(
                _diff("amount", no, f"微信 {money_text(row.order_fen)}，本系统 {money_text(payment.amount_fen)}")
            )
    for no in sorted(set(ours) - set(theirs_paid)):
        differences.append(
            _diff("missing_wechat", no, f"本系统已支付 {money_text(ours[no].amount_fen)}，微信账单无此笔")
        )
    for no, row in sorted(theirs_refunds.items()):
        refund = our_refunds.get(no)
        if refund is None:
            differences.append(
                _diff("missing_ours", row.out_trade_no, f"微信退款 {no} {money_text(row.refund_fen)}，本系统无")
            )
        elif refund.amount_fen != row.refund_fen:
            differences.append(
                _diff(
                    "amount",
                    row.out_trade_no,
                    f"退款 {no}：微信 {money_text(row.refund_fen)}，本系统 {money_text(refund.amount_fen)}",
                )
            )
    for no in sorted(set(our_refunds) - set(theirs_refunds)):
        refund = our_refunds[no]
        differences.append(_diff("missing_wechat", refund.payment.out_trade_no, f"本系统退款 {no} 微信账单无此笔"))
    for payment in ours.values():
        if payment.status is PaymentStatus.UNAPPLIED:
            differences.append(_diff("unapplied", payment.out_trade_no, "所缴月份已由其他缴费缴清，请退款"))
    differences += bill_differences(list(ours.values()))
    report = ReconciliationReport(
        bill_date=day,
        wechat_count=len(theirs_paid),
        wechat_fen=sum(row.order_fen for row in theirs_paid.values()),
        ours_count=len(ours),
        ours_fen=sum(p.amount_fen for p in ours.values()),
        differences=differences,
    )
    db.session.add(report)
    db.session.flush()
    return report


def bill_differences(payments: list[DuesPayment]) -> list[dict[str, str]]:
    """Bills that no longer agree with the payments that paid them."""
    if not payments:
        return []
    ids = [p.id for p in payments if p.status is not PaymentStatus.UNAPPLIED]
    rows = db.session.execute(
        sa.select(DuesPaymentBill, DuesBill, DuesPayment.out_trade_no, DuesRefund.status)
        .join(DuesBill, DuesBill.id == DuesPaymentBill.bill_id)
        .join(DuesPayment, DuesPayment.id == DuesPaymentBill.payment_id)
        .outerjoin(DuesRefund, DuesRefund.id == DuesPaymentBill.refund_id)
        .where(DuesPaymentBill.payment_id.in_(ids))
        .order_by(DuesPayment.out_trade_no, DuesPaymentBill.month)
        .execution_options(populate_existing=True)  # the database's word, not what the session loaded
    ).all()
    found = []
    for line, bill, no, refund_status in rows:
        month = f"{line.month:%Y-%m}"
        if refund_status is RefundStatus.SUCCESS:
            continue  # refunded: the bill is free again (a refund under way leaves it paid)
        if bill.status is not BillStatus.PAID or bill.paid_by_payment_id != line.payment_id:
            found.append(_diff("bill", no, f"{month} 账单状态为“{BILL_STATUS_LABELS[bill.status]}”，应由本笔缴清"))
        elif bill.amount_fen != line.amount_fen:
            found.append(
                _diff(
                    "bill",
                    no,
                    f"{month} 账单金额 {money_text(bill.amount_fen)}，缴费时为 {money_text(line.amount_fen)}",
                )
            )
    return found


def latest_reports(limit: int = 31) -> list[ReconciliationReport]:
    """The latest run of each of the last ``limit`` days reconciled, newest day first."""
    newest = sa.select(sa.func.max(ReconciliationReport.id)).group_by(ReconciliationReport.bill_date).scalar_subquery()
    return list(
        db.session.scalars(
            sa.select(ReconciliationReport)
            .where(ReconciliationReport.id.in_(newest))
            .order_by(ReconciliationReport.bill_date.desc())
            .limit(limit)
        )
    )
