"""Refunds of WeChat payments (whole or some months) and reversals of offline entries.

Both are new ``DuesRefund`` rows; nothing is deleted. A refund's bills become unpaid again only when
WeChat reports it succeeded (the answer to the request, a query, or the REFUND.SUCCESS notification,
whichever comes first, applied once under the refund's row lock); a reversal takes effect at once.
The voluntary extra goes back with the latest month of the payment, on which it was recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa

from server.db import db, utcnow
from server.dues.bills import reopen_bills
from server.dues.paygate import get_pay
from server.dues.payment_models import (
    REFUND_TRANSITIONS,
    Channel,
    DuesPayment,
    DuesPaymentBill,
    DuesRefund,
    PaymentStatus,
    RefundKind,
    RefundStatus,
)
from server.dues.payments import Refused, move, new_trade_no
from server.errors import AppError
from server.wechat.pay import Refund

log = logging.getLogger(__name__)


def _lines(payment: DuesPayment, bill_ids: Sequence[int] | None) -> list[DuesPaymentBill]:
    open_lines = [line for line in payment.lines if line.refund_id is None]
    if bill_ids is None:
        return open_lines
    wanted = set(bill_ids)
    chosen = [line for line in open_lines if line.bill_id in wanted]
    if not chosen or len(chosen) != len(wanted):
        raise AppError("bad_months", "所选月份不属于该笔缴费或已退款")
    return chosen


def _amount(payment: DuesPayment, lines: list[DuesPaymentBill]) -> int:
    """The months' amounts, plus the voluntary extra if the payment's latest month is among them."""
    if not payment.lines:
        return payment.amount_fen
    latest = max(payment.lines, key=lambda line: line.month)
    return sum(line.amount_fen for line in lines) + (payment.extra_fen if latest in lines else 0)


def _new_refund(payment: DuesPayment, lines, kind: RefundKind, reason: str, admin_id: int | None) -> DuesRefund:
    if not reason.strip():
        raise AppError("reason_required", "请填写原因")
    refund = DuesRefund(
        out_refund_no=new_trade_no("R"),
        payment_id=payment.id,
        kind=kind,
        status=RefundStatus.PROCESSING,
        amount_fen=_amount(payment, lines),
        reason=reason.strip()[:200],
        created_by_id=admin_id,
        org_id=payment.org_id,
    )
    db.session.add(refund)
    db.session.flush()
    for line in lines:
        line.refund_id = refund.id
    db.session.flush()
    return refund


def _lock(payment_id: int) -> DuesPayment:
    return db.session.scalar(
        sa.select(DuesPayment)
        .where(DuesPayment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def refund_wechat(payment: DuesPayment, bill_ids: Sequence[int] | None, reason: str, admin_id: int) -> DuesRefund:
    """Ask WeChat to refund the chosen months (all when ``bill_ids`` is None). The caller commits."""
    payment = _lock(payment.id)
    if payment.channel is not Channel.WECHAT:
        raise AppError("bad_channel", "现金或转账缴费请用冲正")
    if payment.status not in (PaymentStatus.PAID, PaymentStatus.PARTLY_REFUNDED, PaymentStatus.UNAPPLIED):
        raise AppError("not_refundable", "该笔缴费当前不能退款")
    if payment.status is PaymentStatus.UNAPPLIED:
        lines = list(payment.lines)
        amount = payment.amount_fen
    else:
        lines = _lines(payment, bill_ids)
        amount = None
    refund = _new_refund(payment, lines, RefundKind.REFUND, reason, admin_id)
    if amount is not None:
        refund.amount_fen = amount
    answer = get_pay().refund(
        out_trade_no=payment.out_trade_no,
        out_refund_no=refund.out_refund_no,
        refund_fen=refund.amount_fen,
        total_fen=payment.amount_fen,
        reason=refund.reason[:80],
    )
    refund.refund_id = answer.refund_id
    if answer.status == "SUCCESS":
        apply_refund(answer, refund=refund)
    return refund


def apply_refund(answer: Refund, *, refund: DuesRefund | None = None) -> bool:
    """WeChat's word on a refund (notification, answer or query), applied once; True if it changed anything."""
    if refund is None:
        refund = db.session.scalar(
            sa.select(DuesRefund)
            .where(DuesRefund.out_refund_no == answer.out_refund_no)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    if refund is None:
        # Not ours, or not committed yet (WeChat can notify before the admin's request has finished):
        # refused, so WeChat sends it again later; nothing is written.
        raise Refused("unknown_refund")
    if refund.status is not RefundStatus.PROCESSING:
        return False
    if answer.status == "SUCCESS":
        if answer.refund_fen != refund.amount_fen:
            log.error(
                "refund %s: WeChat refunded %s, we asked %s", refund.out_refund_no, answer.refund_fen, refund.amount_fen
            )
        _finish(refund, RefundStatus.SUCCESS)
        return True
    if answer.status in ("CLOSED", "ABNORMAL"):
        _finish(refund, RefundStatus.FAILED)
        return True
    return False


def _finish(refund: DuesRefund, status: RefundStatus) -> None:
    if status not in REFUND_TRANSITIONS[refund.status]:
        raise AppError("bad_transition", "该退款当前状态不能这样修改")
    payment = _lock(refund.payment_id)
    lines = [line for line in payment.lines if line.refund_id == refund.id]
    refund.status = status
    if status is RefundStatus.FAILED:
        for line in lines:  # the months stay paid; the finance admin may try again
            line.refund_id = None
        db.session.flush()
        return
    refund.succeeded_at = utcnow()
    if payment.status is not PaymentStatus.UNAPPLIED:
        reopen_bills([line.bill_id for line in lines], payment.id)
    payment.refunded_fen += refund.amount_fen
    if refund.kind is RefundKind.REVERSAL:
        move(payment, PaymentStatus.REVERSED)
    elif payment.refunded_fen >= payment.amount_fen:
        move(payment, PaymentStatus.REFUNDED)
    else:
        move(payment, PaymentStatus.PARTLY_REFUNDED)
    db.session.flush()


def reverse_offline(payment: DuesPayment, reason: str, admin_id: int) -> DuesRefund:
    """Cancel a cash or transfer entry made in error (冲正): a reversing entry, its bills unpaid again."""
    payment = _lock(payment.id)
    if payment.channel is Channel.WECHAT:
        raise AppError("bad_channel", "微信支付的缴费请用退款")
    if payment.status is not PaymentStatus.PAID:
        raise AppError("not_reversible", "该笔缴费已冲正")
    refund = _new_refund(payment, list(payment.lines), RefundKind.REVERSAL, reason, admin_id)
    refund.amount_fen = payment.amount_fen
    _finish(refund, RefundStatus.SUCCESS)
    return refund
