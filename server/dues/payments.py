"""Paying dues: WeChat orders, applying WeChat's word that an order was paid, offline entries.

The bills an order covers are written with it (``DuesPaymentBill``) but not locked: an abandoned order
holds nothing. A bill is paid when a payment is *applied*, through ``bills.mark_bills_paid`` (one
conditional UPDATE … WHERE status = 'unpaid'), so of two payments for a bill exactly one wins.

A new order for bills already in a pending order closes the older order first (at WeChat, then here);
if WeChat says the older one was paid meanwhile, that payment is applied and the new order is refused
because its bills are no longer payable.

Applying a payment (notification or query) happens under the payment's lock
(``payment_status.lock_payment``, or ``lock_payment_with_lines`` for a notification), so however many
deliveries race, one applies and the others find the payment paid and change nothing. Every change of a
payment's status goes through ``payment_status.move``: along ``PAYMENT_TRANSITIONS``, audited in the name
of whoever acts.

A payment reported for an order we had closed (the member paid as it expired, or just as a newer order
replaced it): if its bills are still unpaid it is applied as usual; if they were paid otherwise
meanwhile, the payment becomes ``unapplied`` (money received, nothing covered) and the reconciliation
report lists it for the finance admin, who refunds it from the payment's page. We do not refund by
ourselves: a refund is money leaving, and a person decides it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from server.audit.context import acting_as
from server.db import db, utcnow
from server.dues.bills import BillsNotPayable, mark_bills_paid, payable_bills
from server.dues.models import DuesBill
from server.dues.months import add_months, current_month
from server.dues.paygate import get_pay
from server.dues.payment_models import Channel, DuesPayment, DuesPaymentBill, PayerKind, PaymentStatus
from server.dues.payment_status import WECHAT_PAY, LockedPayment, lock_payment, lock_payment_with_lines, move
from server.errors import AppError, NotFound
from server.members.models import Member
from server.observability import metrics
from server.timezone import to_local
from server.wechat.pay import Transaction, WeChatPayError, WeChatPayUnavailable
from server.wechat.pay.errors import ORDER_NOT_EXIST, ORDERPAID

log = logging.getLogger(__name__)

#: a WeChat order may be paid for this long
ORDER_MINUTES = 30
#: the member's page polls an order; we ask WeChat about it at most this often
QUERY_EVERY = timedelta(seconds=5)
#: 10,000 yuan of 自愿多交 in one payment: anything more is a typo
MAX_EXTRA_FEN = 1_000_000
ORDER_MISSING = "订单不存在"
#: the statuses from which WeChat's SUCCESS moves a payment to PAID (or UNAPPLIED): PAYMENT_TRANSITIONS
APPLICABLE = (PaymentStatus.PENDING, PaymentStatus.CLOSED)
#: how WeChat's word reached us, for the audit trail
NOTIFIED = "微信支付通知"
QUERIED = "查询微信支付订单"


def new_trade_no(prefix: str = "D") -> str:
    """Prefix + Beijing date and time + 10 random hex digits: unique, 25 characters, sortable by day."""
    return f"{prefix}{to_local(utcnow()):%Y%m%d%H%M%S}{secrets.token_hex(5).upper()}"


# --- ordering -------------------------------------------------------------------------------------------


@dataclass
class PlacedOrder:
    payment: DuesPayment
    params: dict[str, str]


def bills_for_order(member: Member, bill_ids: Sequence[int], ahead_months: int) -> list[DuesBill]:
    """The member's chosen unpaid bills plus ``ahead_months`` months after this one; refuses anything
    else (someone else's bill, a paid one, one beyond the back-payment limit, ahead not allowed)."""
    if not bill_ids and not ahead_months:
        raise AppError("nothing_chosen", "请选择要缴纳的月份")
    wanted = set(bill_ids)
    chosen = db.session.scalars(sa.select(DuesBill).where(DuesBill.id.in_(list(wanted)))).all() if wanted else []
    if len(chosen) != len(wanted) or any(bill.member_id != member.id for bill in chosen):
        raise NotFound("所选账单不存在")
    months = {bill.month for bill in chosen}
    this_month = current_month()
    months |= {add_months(this_month, n) for n in range(1, ahead_months + 1)}
    return payable_bills(member, sorted(months))


def _close_overlapping(member_id: int, bill_ids: set[int]) -> None:
    """Close this member's pending orders that share a bill with a new one (see the module's docstring)."""
    older_ids = db.session.scalars(
        sa.select(DuesPaymentBill.payment_id)
        .join(DuesPayment, DuesPaymentBill.payment_id == DuesPayment.id)
        .where(
            DuesPayment.member_id == member_id,
            DuesPayment.status == PaymentStatus.PENDING,
            DuesPaymentBill.bill_id.in_(bill_ids),
        )
        .distinct()
    ).all()
    for payment_id in older_ids:
        payment = lock_payment(payment_id=payment_id)
        if payment.status is PaymentStatus.PENDING:
            close_at_wechat(payment, reason="同一月份下了新订单，旧订单关闭")


def close_at_wechat(payment: DuesPayment, *, reason: str) -> None:
    """Close a pending order (locked by the caller): WeChat first; if it was paid meanwhile, apply that
    payment instead."""
    try:
        get_pay().close_order(payment.out_trade_no)
    except WeChatPayError as exc:
        if exc.code == ORDERPAID:
            apply_transaction(get_pay().query_order(payment.out_trade_no), payment=payment, source=QUERIED)
            return
        if exc.code != ORDER_NOT_EXIST:
            raise
    if payment.status is PaymentStatus.PENDING:
        move(payment, PaymentStatus.CLOSED, reason=reason)


def place_order(
    member: Member,
    bill_ids: Sequence[int],
    *,
    ahead_months: int = 0,
    extra_fen: int = 0,
    payer: Member,
    payer_openid: str,
) -> PlacedOrder:
    """A WeChat order for ``member``'s bills, paid by ``payer`` (the member, or a relative with a proxy
    token); the amount is the bills' plus ``extra_fen``, computed here, never taken from the client."""
    if not 0 <= extra_fen <= MAX_EXTRA_FEN:
        raise AppError("bad_amount", "自愿多交金额不正确")
    bills = bills_for_order(member, bill_ids, ahead_months)
    _close_overlapping(member.id, {bill.id for bill in bills})
    bills = bills_for_order(member, bill_ids, ahead_months)  # one may have been paid by the closed order
    amount = sum(bill.amount_fen for bill in bills) + extra_fen
    if amount <= 0:
        raise AppError("nothing_to_pay", "所选月份无需缴纳党费")
    now = utcnow()
    payment = DuesPayment(
        out_trade_no=new_trade_no(),
        member_id=member.id,
        org_id=member.org_id,
        payer_kind=PayerKind.SELF if payer.id == member.id else PayerKind.MEMBER,
        payer_member_id=payer.id,
        payer_name=payer.name[:60],
        channel=Channel.WECHAT,
        status=PaymentStatus.PENDING,
        amount_fen=amount,
        extra_fen=extra_fen,
        expires_at=now + timedelta(minutes=ORDER_MINUTES),
        payer_openid=payer_openid,
    )
    payment.lines = [DuesPaymentBill(bill_id=b.id, month=b.month, amount_fen=b.amount_fen) for b in bills]
    db.session.add(payment)
    db.session.flush()
    months = "、".join(f"{bill.month:%Y年%m月}" for bill in bills[:3]) + ("等" if len(bills) > 3 else "")
    payment.prepay_id = get_pay().create_jsapi_order(
        out_trade_no=payment.out_trade_no,
        description=f"党费 {member.name} {months}"[:120],
        amount_fen=amount,
        payer_openid=payer_openid,
        time_expire=payment.expires_at,
        attach=f"p={payment.id}",
    )
    return PlacedOrder(payment, get_pay().payment_params(payment.prepay_id))


# --- applying WeChat's word -----------------------------------------------------------------------------


class Refused(Exception):
    """A verified notification that does not match our order: answer 4xx, write nothing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_matches(payment: LockedPayment | None, transaction: Transaction) -> LockedPayment:
    config = current_app.config
    if payment is None:
        raise Refused("unknown_order")
    if transaction.mchid != config["WECHATPAY_MCHID"] or transaction.appid != config["WECHAT_APPID"]:
        raise Refused("merchant")
    if transaction.total_fen != payment.amount_fen:
        raise Refused("amount")
    if payment.transaction_id and transaction.transaction_id and payment.transaction_id != transaction.transaction_id:
        raise Refused("transaction_id")
    return payment


def apply_transaction(transaction: Transaction, *, payment: DuesPayment | None = None, source: str = NOTIFIED) -> bool:
    """Apply a paid order (a notification's or a query's ``SUCCESS``) once; True if it changed anything.
    ``payment``, when given, was locked by the caller (and shows the new status after); a notification
    locks and reads it here, as Core rows (``lock_payment_with_lines``). The caller commits. Raises
    ``Refused`` (write nothing) when WeChat's order is not ours. Whoever asked, the change is WeChat
    Pay's word and is audited in its name (``source`` says how the word came)."""
    if transaction.trade_state != "SUCCESS":
        return False
    locked = check_matches(
        lock_payment_with_lines(transaction.out_trade_no) if payment is None else LockedPayment.of(payment),
        transaction,
    )
    if locked.status not in APPLICABLE:
        return False  # applied already (or refunded since): a duplicate changes nothing
    paid = {"transaction_id": transaction.transaction_id, "paid_at": transaction.success_time or utcnow()}
    try:
        mark_bills_paid(  # all or none: it undoes its own writes before it raises
            locked.bill_ids,
            locked.id,
            member_id=locked.member_id,
            voluntary_extra_fen=locked.extra_fen,
            paid_at=paid["paid_at"],
        )
    except BillsNotPayable:
        log.warning("payment %s arrived for bills paid otherwise: unapplied", locked.out_trade_no)
        outcome, reason = PaymentStatus.UNAPPLIED, f"{source}：已收款，但所缴月份已由其他缴费缴清，待退款"
    else:
        outcome, reason = PaymentStatus.PAID, f"{source}：支付成功"
    with acting_as(WECHAT_PAY):
        move(locked if payment is None else payment, outcome, reason=reason, **paid)
    metrics.count_payment(outcome.value, "notify" if source == NOTIFIED else "query")
    return True


def refresh_from_wechat(payment: DuesPayment) -> DuesPayment:
    """The member's page asks how its order stands: while pending, ask WeChat (at most every
    QUERY_EVERY per order) and apply a SUCCESS exactly as the notification would."""
    now = utcnow()
    if payment.status is not PaymentStatus.PENDING or payment.channel is not Channel.WECHAT:
        return payment
    if payment.queried_at and now - payment.queried_at < QUERY_EVERY:
        return payment
    updated = db.session.execute(
        sa.update(DuesPayment)
        .where(
            DuesPayment.id == payment.id,
            sa.or_(DuesPayment.queried_at.is_(None), DuesPayment.queried_at < now - QUERY_EVERY),
        )
        .values(queried_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if updated != 1:
        return payment  # another request is asking right now
    try:
        transaction = get_pay().query_order(payment.out_trade_no)
    except WeChatPayError as exc:
        log.info("query of %s failed: %s", payment.out_trade_no, exc)
        return payment
    locked = lock_payment(out_trade_no=payment.out_trade_no)
    try:
        with db.session.begin_nested():
            apply_transaction(transaction, payment=locked, source=QUERIED)
    except Refused as exc:
        log.error("WeChat's order %s does not match ours (%s)", payment.out_trade_no, exc.reason)
    return locked


def close_expired(now: datetime | None = None, limit: int = 200) -> int:
    """Close orders unpaid past their expiry, asking WeChat first (a payment may have landed).
    The caller commits. Returns how many were looked at."""
    now = now or utcnow()
    nos = db.session.scalars(
        sa.select(DuesPayment.out_trade_no)
        .where(DuesPayment.status == PaymentStatus.PENDING, DuesPayment.expires_at < now)
        .order_by(DuesPayment.expires_at)
        .limit(limit)
    ).all()
    for no in nos:
        payment = lock_payment(out_trade_no=no)
        if payment is None or payment.status is not PaymentStatus.PENDING:
            continue
        try:
            transaction = get_pay().query_order(no)
            if transaction.trade_state == "SUCCESS":
                with db.session.begin_nested():
                    apply_transaction(transaction, payment=payment, source=QUERIED)
                continue
            close_at_wechat(payment, reason="订单超时未支付，已关闭")
        except WeChatPayUnavailable as exc:
            log.warning("closing %s postponed: %s", no, exc)
        except WeChatPayError as exc:
            if exc.code == ORDER_NOT_EXIST:  # never reached WeChat: nothing to close there
                move(payment, PaymentStatus.CLOSED, reason="订单超时未支付，微信支付无此订单，已关闭")
            else:
                log.warning("closing %s failed: %s", no, exc)
        except Refused as exc:
            log.error("WeChat's order %s does not match ours (%s)", no, exc.reason)
    return len(nos)


# --- offline --------------------------------------------------------------------------------------------


def record_offline(
    member: Member,
    bill_ids: Sequence[int],
    *,
    channel: Channel,
    receipt_no: str,
    admin_id: int,
    admin_name: str,
    extra_fen: int = 0,
    note: str = "",
) -> DuesPayment:
    """A cash or transfer payment an admin received for the chosen bills of ``member`` (months the member
    may pay now). Paid at once; the bills go through ``mark_bills_paid`` like any payment."""
    if channel is Channel.WECHAT:
        raise AppError("bad_channel", "请选择现金或转账")
    receipt_no = receipt_no.strip()
    if not receipt_no:
        raise AppError("receipt_required", "请填写收据编号")
    if not 0 <= extra_fen <= MAX_EXTRA_FEN:
        raise AppError("bad_amount", "自愿多交金额不正确")
    bills = bills_for_order(member, bill_ids, 0)
    amount = sum(bill.amount_fen for bill in bills) + extra_fen
    if amount <= 0:
        raise AppError("nothing_to_pay", "所选月份无需缴纳党费")
    now = utcnow()
    payment = DuesPayment(
        out_trade_no=new_trade_no("C" if channel is Channel.CASH else "T"),
        member_id=member.id,
        org_id=member.org_id,
        payer_kind=PayerKind.ADMIN,
        payer_admin_id=admin_id,
        payer_name=admin_name[:60],
        channel=channel,
        status=PaymentStatus.PAID,
        amount_fen=amount,
        extra_fen=extra_fen,
        receipt_no=receipt_no[:40],
        note=note.strip()[:200],
        paid_at=now,
    )
    payment.lines = [DuesPaymentBill(bill_id=b.id, month=b.month, amount_fen=b.amount_fen) for b in bills]
    db.session.add(payment)
    db.session.flush()
    mark_bills_paid([b.id for b in bills], payment.id, member_id=member.id, voluntary_extra_fen=extra_fen, paid_at=now)
    return payment


def months_of(payment: DuesPayment) -> list[str]:
    return [f"{line.month:%Y-%m}" for line in payment.lines]
