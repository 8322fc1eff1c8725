"""Refunds of WeChat payments (whole or some months) and reversals of offline entries.

Both are new ``DuesRefund`` rows; nothing is deleted. A refund's bills become unpaid again only when
WeChat reports it succeeded (the answer to the request, a query, or the REFUND.SUCCESS notification,
whichever comes first, applied once under the refund's row lock); a reversal takes effect at once.
The voluntary extra goes back with the latest month of the payment, on which it was recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from server.audit.context import acting_as
from server.auth.scope import scope_filter
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
from server.dues.payment_status import WECHAT_PAY, lock_payment, move
from server.dues.payments import Refused, new_trade_no
from server.errors import AppError
from server.members.models import Member
from server.orgs.models import Organisation
from server.wechat.pay import Refund

log = logging.getLogger(__name__)


def _lines(payment: DuesPayment, bill_ids: Sequence[int] | None) -> list[DuesPaymentBill]:
    open_lines = [line for line in payment.lines if line.refund_id is None]
    if not open_lines:
        raise AppError("nothing_to_refund", "这笔缴费的月份都已退款或正在退款")
    if bill_ids is None:
        return open_lines
    wanted = set(bill_ids)
    chosen = [line for line in open_lines if line.bill_id in wanted]
    if not chosen or len(chosen) != len(wanted):
        raise AppError("bad_months", "所选月份不属于该笔缴费，或已退款、正在退款")
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


def refund_wechat(payment: DuesPayment, bill_ids: Sequence[int] | None, reason: str, admin_id: int) -> DuesRefund:
    """Ask WeChat to refund the chosen months (all when ``bill_ids`` is None). The caller commits."""
    payment = lock_payment(payment_id=payment.id)
    if payment.channel is not Channel.WECHAT:
        raise AppError("bad_channel", "现金或转账缴费请用冲正")
    if payment.status not in (PaymentStatus.PAID, PaymentStatus.PARTLY_REFUNDED, PaymentStatus.UNAPPLIED):
        raise AppError("not_refundable", "该笔缴费当前不能退款")
    if payment.status is PaymentStatus.UNAPPLIED:  # all of it goes back, once
        lines = list(payment.lines)
        if any(line.refund_id is not None for line in lines):
            raise AppError("nothing_to_refund", "这笔款项正在退款")
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
    if answer.status != "PROCESSING":  # WeChat may answer with the outcome at once
        apply_refund(answer, refund=refund)
    return refund


#: WeChat's refund statuses (``status`` in answers and queries, ``refund_status`` in notifications)
WECHAT_REFUND_STATUS = {
    "SUCCESS": RefundStatus.SUCCESS,
    "ABNORMAL": RefundStatus.ABNORMAL,
    "CLOSED": RefundStatus.CLOSED,
}


def _locked_refund(out_refund_no: str) -> DuesRefund | None:
    """The refund, after its payment's lock (the order every refund change takes: payment, then refund)."""
    payment_id = db.session.scalar(sa.select(DuesRefund.payment_id).where(DuesRefund.out_refund_no == out_refund_no))
    if payment_id is None:
        return None
    lock_payment(payment_id=payment_id)
    return db.session.scalar(
        sa.select(DuesRefund)
        .where(DuesRefund.out_refund_no == out_refund_no)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def apply_refund(answer: Refund, *, refund: DuesRefund | None = None) -> bool:
    """WeChat's word on a refund (notification, answer or query), applied once and audited in WeChat Pay's
    name; True if it changed anything. A word ``REFUND_TRANSITIONS`` does not allow (a repeat, or an
    ABNORMAL arriving after the SUCCESS it led to) changes nothing."""
    if refund is None:
        refund = _locked_refund(answer.out_refund_no)
    if refund is None:
        # Not ours, or not committed yet (WeChat can notify before the admin's request has finished):
        # refused, so WeChat sends it again later; nothing is written.
        raise Refused("unknown_refund")
    new = WECHAT_REFUND_STATUS.get(answer.status)
    if new is None or new not in REFUND_TRANSITIONS[refund.status]:
        if new is not None and new is not refund.status:
            log.warning("refund %s: WeChat says %s, ours is %s; ignored", refund.out_refund_no, new, refund.status)
        return False
    if new is RefundStatus.SUCCESS and answer.refund_fen != refund.amount_fen:
        log.error(
            "refund %s: WeChat refunded %s, we asked %s", refund.out_refund_no, answer.refund_fen, refund.amount_fen
        )
    with acting_as(WECHAT_PAY):
        _finish(refund, new)
    return True


def _finish(refund: DuesRefund, status: RefundStatus) -> None:
    """Move ``refund`` to ``status``: SUCCESS gives its months back to the member (unpaid again) and
    counts the money on the payment; ABNORMAL and CLOSED leave the months paid, CLOSED lets them go."""
    if status not in REFUND_TRANSITIONS[refund.status]:
        raise AppError("bad_transition", "该退款当前状态不能这样修改")
    payment = lock_payment(payment_id=refund.payment_id)
    lines = [line for line in payment.lines if line.refund_id == refund.id]
    refund.status = status
    if status is RefundStatus.CLOSED:
        for line in lines:  # nothing went back: the months stay paid and may be refunded again
            line.refund_id = None
    if status is not RefundStatus.SUCCESS:
        db.session.flush()
        return
    refund.succeeded_at = utcnow()
    if payment.status is not PaymentStatus.UNAPPLIED:
        reopen_bills([line.bill_id for line in lines], payment.id)
    refunded = payment.refunded_fen + refund.amount_fen
    if refund.kind is RefundKind.REVERSAL:
        new, reason = PaymentStatus.REVERSED, f"冲正 {refund.out_refund_no}：{refund.reason}"
    else:
        whole = refunded >= payment.amount_fen
        new = PaymentStatus.REFUNDED if whole else PaymentStatus.PARTLY_REFUNDED
        reason = f"退款成功 {refund.out_refund_no}：{refund.reason}"
    move(payment, new, reason=reason, refunded_fen=refunded)


def reverse_offline(payment: DuesPayment, reason: str, admin_id: int) -> DuesRefund:
    """Cancel a cash or transfer entry made in error (冲正): a reversing entry, its bills unpaid again."""
    payment = lock_payment(payment_id=payment.id)
    if payment.channel is Channel.WECHAT:
        raise AppError("bad_channel", "微信支付的缴费请用退款")
    if payment.status is not PaymentStatus.PAID:
        raise AppError("not_reversible", "该笔缴费已冲正")
    refund = _new_refund(payment, list(payment.lines), RefundKind.REVERSAL, reason, admin_id)
    refund.amount_fen = payment.amount_fen
    _finish(refund, RefundStatus.SUCCESS)
    return refund


def of_payments(payment_ids: list[int]) -> dict[int, list[DuesRefund]]:
    """The refunds and reversals of these payments, oldest first, by payment id."""
    found: dict[int, list[DuesRefund]] = {}
    if payment_ids:
        query = sa.select(DuesRefund).where(DuesRefund.payment_id.in_(payment_ids)).order_by(DuesRefund.id)
        for refund in db.session.scalars(query):
            found.setdefault(refund.payment_id, []).append(refund)
    return found


@dataclass(frozen=True)
class NeedsAttention:
    refund: DuesRefund
    member_id: int
    member_name: str
    org_name: str


def _waiting(path: str) -> sa.ColumnElement[bool]:
    """Refunds under ``path`` a finance admin must act on: every ABNORMAL one (the money is held at WeChat
    until settled on the merchant platform) and every CLOSED one not followed by another refund of the
    same payment (asked for, never paid back)."""
    later = aliased(DuesRefund)
    retried = sa.exists().where(later.payment_id == DuesRefund.payment_id, later.id > DuesRefund.id)
    return sa.and_(
        scope_filter(DuesRefund.org_id, path),
        sa.or_(
            DuesRefund.status == RefundStatus.ABNORMAL,
            sa.and_(DuesRefund.status == RefundStatus.CLOSED, ~retried),
        ),
    )


def needing_attention(path: str, *, limit: int = 100) -> list[NeedsAttention]:
    """The refunds waiting for a finance admin under ``path`` (:func:`_waiting`), oldest first."""
    rows = db.session.execute(
        sa.select(DuesRefund, Member.id, Member.name, Organisation.name)
        .join(DuesPayment, DuesPayment.id == DuesRefund.payment_id)
        .join(Member, Member.id == DuesPayment.member_id)
        .join(Organisation, Organisation.id == DuesRefund.org_id)
        .where(_waiting(path))
        .order_by(DuesRefund.id)
        .limit(limit)
    ).all()
    return [
        NeedsAttention(refund, member_id, member_name, org_name) for refund, member_id, member_name, org_name in rows
    ]


def count_needing_attention(path: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(DuesRefund).where(_waiting(path))) or 0
