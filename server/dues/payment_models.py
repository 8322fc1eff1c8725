"""Dues payments: orders and payments, the bills each covers, refunds and reversals, notifications applied,
and the daily reconciliation's reports.

Nothing here is ever deleted or rewritten after the fact: a refund (WeChat) or a reversal (a cash or
transfer entry made in error) is a new ``DuesRefund`` row pointing at the payment, and the payment's
status moves only along ``PAYMENT_TRANSITIONS``. Money is integer fen (``BigInteger``, ``*_fen``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import UTCDateTime, db, utcnow
from server.dues.models import DuesBill
from server.orgs.models import enum_column

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class Channel(enum.StrEnum):
    WECHAT = "wechat"
    CASH = "cash"
    TRANSFER = "transfer"


CHANNEL_LABELS = {Channel.WECHAT: "微信支付", Channel.CASH: "现金", Channel.TRANSFER: "转账"}


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"  # a WeChat order placed, not paid (yet)
    PAID = "paid"
    CLOSED = "closed"  # unpaid and closed: expired, replaced by a newer order, or closed by hand
    PARTLY_REFUNDED = "partly_refunded"
    REFUNDED = "refunded"
    REVERSED = "reversed"  # an offline entry reversed (entered in error)
    #: WeChat took the money for an order we had closed, and its bills were paid otherwise meanwhile:
    #: the money is ours but covers nothing; the finance admin refunds it (reconciliation lists it).
    UNAPPLIED = "unapplied"


PAYMENT_STATUS_LABELS = {
    PaymentStatus.PENDING: "待支付",
    PaymentStatus.PAID: "已支付",
    PaymentStatus.CLOSED: "已关闭",
    PaymentStatus.PARTLY_REFUNDED: "部分退款",
    PaymentStatus.REFUNDED: "已退款",
    PaymentStatus.REVERSED: "已冲正",
    PaymentStatus.UNAPPLIED: "已收款未入账（待退款）",
}

#: Every allowed change of a payment's status; anything else is refused (``payment_status.move``).
#: CLOSED → PAID / UNAPPLIED: WeChat reports a payment that went through as we closed the order.
PAYMENT_TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.PENDING: frozenset({PaymentStatus.PAID, PaymentStatus.CLOSED, PaymentStatus.UNAPPLIED}),
    PaymentStatus.CLOSED: frozenset({PaymentStatus.PAID, PaymentStatus.UNAPPLIED}),
    PaymentStatus.PAID: frozenset({PaymentStatus.PARTLY_REFUNDED, PaymentStatus.REFUNDED, PaymentStatus.REVERSED}),
    PaymentStatus.PARTLY_REFUNDED: frozenset({PaymentStatus.PARTLY_REFUNDED, PaymentStatus.REFUNDED}),
    PaymentStatus.UNAPPLIED: frozenset({PaymentStatus.REFUNDED}),
    PaymentStatus.REFUNDED: frozenset(),
    PaymentStatus.REVERSED: frozenset(),
}


class PayerKind(enum.StrEnum):
    SELF = "self"
    MEMBER = "member"  # 代缴 through a proxy token
    ADMIN = "admin"  # an offline entry by an admin


PAYER_KIND_LABELS = {PayerKind.SELF: "本人缴纳", PayerKind.MEMBER: "他人代缴", PayerKind.ADMIN: "管理员登记"}


class DuesPayment(db.Model):
    """One payment (or WeChat order not yet paid) of one member's bills."""

    __tablename__ = "dues_payments"
    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint("extra_fen >= 0 AND extra_fen <= amount_fen", name="extra_in_range"),
        sa.CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refunded_in_range"),
        sa.CheckConstraint("channel = 'wechat' OR receipt_no IS NOT NULL", name="offline_has_receipt"),
        sa.Index("ix_dues_payments_member_created", "member_id", "created_at"),
        sa.Index("ix_dues_payments_status_expires", "status", "expires_at"),
        sa.Index("ix_dues_payments_org_paid", "org_id", "paid_at"),
    )
    __audited__ = True
    __audit_entity__ = "dues_payment"

    #: surrogate key
    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    #: our order number at WeChat (out_trade_no), also given to offline entries: unique
    out_trade_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    #: whose dues
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    #: the member's branch when the payment was made (scope and reports)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: who paid: the member, another member (代缴) or an admin entering cash/transfer
    payer_kind: Mapped[PayerKind] = mapped_column(enum_column(PayerKind, "dues_payer_kind"))
    payer_member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    payer_admin_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: the payer's name as it was, for receipts
    payer_name: Mapped[str] = mapped_column(sa.String(60))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "dues_channel"))
    status: Mapped[PaymentStatus] = mapped_column(enum_column(PaymentStatus, "dues_payment_status"))
    #: everything paid: the bills' amounts plus ``extra_fen``
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: 自愿多交 on top of the bills
    extra_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: sum of successful refunds (and of a reversal)
    refunded_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    #: WeChat order: pay before this (UTC); None offline
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prepay_id: Mapped[str | None] = mapped_column(sa.String(64))
    payer_openid: Mapped[str | None] = mapped_column(sa.String(64))
    #: WeChat's transaction id once paid
    transaction_id: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    #: offline: the paper receipt's number
    receipt_no: Mapped[str | None] = mapped_column(sa.String(40))
    note: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: last time we asked WeChat about it (rate limit of the member's polling)
    queried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[DuesPaymentBill]] = relationship(back_populates="payment", order_by="DuesPaymentBill.month")

    def audit_label(self) -> str:
        return payment_label(self.out_trade_no, self.amount_fen)

    def audit_org_id(self) -> int | None:
        return self.org_id


def payment_label(out_trade_no: str, amount_fen: int) -> str:
    """How the audit trail names a payment."""
    return f"{out_trade_no} {amount_fen} fen"


class DuesPaymentBill(db.Model):
    """A bill a payment covers, with the amount it carried then (a later edit of the bill shows up in
    reconciliation)."""

    __tablename__ = "dues_payment_bills"
    __table_args__ = (sa.UniqueConstraint("payment_id", "bill_id", name="one_line_per_bill"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    payment_id: Mapped[int] = mapped_column(BIGINT, sa.ForeignKey("dues_payments.id", ondelete="RESTRICT"))
    bill_id: Mapped[int] = mapped_column(BIGINT, sa.ForeignKey("dues_bills.id", ondelete="RESTRICT"), index=True)
    month: Mapped[date]
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: being refunded, refunded or reversed by this refund (None: still paid, or the order never was); a
    #: refund WeChat closed lets its months go again
    refund_id: Mapped[int | None] = mapped_column(BIGINT, sa.ForeignKey("dues_refunds.id", ondelete="RESTRICT"))

    payment: Mapped[DuesPayment] = relationship(back_populates="lines")
    bill: Mapped[DuesBill] = relationship()
    refund: Mapped[DuesRefund | None] = relationship()


class RefundKind(enum.StrEnum):
    REFUND = "refund"  # money returned through WeChat
    REVERSAL = "reversal"  # an offline entry cancelled (冲正)


REFUND_KIND_LABELS = {RefundKind.REFUND: "微信退款", RefundKind.REVERSAL: "冲正"}


class RefundStatus(enum.StrEnum):
    """WeChat's own refund statuses. Until a refund succeeds its months stay paid."""

    PROCESSING = "processing"
    SUCCESS = "success"
    #: the money could not reach the payer (a closed bank card, a frozen account): WeChat holds it until
    #: the finance admin settles it on the merchant platform, which then reports SUCCESS (or CLOSED). The
    #: months stay reserved for this refund, so nobody asks for them twice.
    ABNORMAL = "abnormal"
    #: WeChat closed the refund: nothing was returned; the months are free to be refunded again
    CLOSED = "closed"


REFUND_STATUS_LABELS = {
    RefundStatus.PROCESSING: "退款处理中",
    RefundStatus.SUCCESS: "已退款",
    RefundStatus.ABNORMAL: "退款异常，待处理",
    RefundStatus.CLOSED: "退款已关闭，未退出",
}

#: Every allowed change of a refund's status (``refunds.apply_refund``); a late or repeated word is ignored.
REFUND_TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    RefundStatus.PROCESSING: frozenset({RefundStatus.SUCCESS, RefundStatus.ABNORMAL, RefundStatus.CLOSED}),
    RefundStatus.ABNORMAL: frozenset({RefundStatus.SUCCESS, RefundStatus.CLOSED}),
    RefundStatus.SUCCESS: frozenset(),
    RefundStatus.CLOSED: frozenset(),
}
#: refunds a finance admin must look at: money stuck at WeChat, or a refund asked for that did not happen
NEEDS_ATTENTION = (RefundStatus.ABNORMAL, RefundStatus.CLOSED)


class DuesRefund(db.Model):
    """A refund of some or all months of a payment, or the reversal of an offline entry."""

    __tablename__ = "dues_refunds"
    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="amount_positive"),)
    __audited__ = True
    __audit_entity__ = "dues_refund"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    out_refund_no: Mapped[str] = mapped_column(sa.String(64), unique=True)
    payment_id: Mapped[int] = mapped_column(BIGINT, sa.ForeignKey("dues_payments.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[RefundKind] = mapped_column(enum_column(RefundKind, "dues_refund_kind"))
    status: Mapped[RefundStatus] = mapped_column(enum_column(RefundStatus, "dues_refund_status"))
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    reason: Mapped[str] = mapped_column(sa.String(200))
    #: WeChat's refund id
    refund_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    payment: Mapped[DuesPayment] = relationship()

    def audit_label(self) -> str:
        return f"{self.out_refund_no} {self.amount_fen} fen"

    def audit_org_id(self) -> int | None:
        return self.org_id


class PayNotification(db.Model):
    """A WeChat notification id we applied: the same id again is answered success and changes nothing."""

    __tablename__ = "dues_pay_notifications"

    notification_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    event_type: Mapped[str] = mapped_column(sa.String(40))
    out_trade_no: Mapped[str] = mapped_column(sa.String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReconciliationReport(db.Model):
    """One day's comparison of WeChat's trade bill with our books; ``differences`` lists every one."""

    __tablename__ = "dues_reconciliations"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the day (Asia/Shanghai) of the trade bill
    bill_date: Mapped[date] = mapped_column(index=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    wechat_count: Mapped[int] = mapped_column(default=0)
    wechat_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    ours_count: Mapped[int] = mapped_column(default=0)
    ours_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: [{"kind", "out_trade_no", "detail"}]; empty: the day agrees
    differences: Mapped[list] = mapped_column(sa.JSON, default=list)
