"""Mini-program dues: where I stand, paying (for myself or, with a proxy token, for another member),
my orders, payments and receipts, and making a proxy token (代缴)."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from server.auth.current import current_identity, current_member, member_required
from server.auth.models import MemberSession
from server.db import db, utcnow
from server.dues import payments
from server.dues.bills import earliest_payable_month, generate_bills, latest_payable_month, paid_up_to
from server.dues.models import BillStatus, DuesBill
from server.dues.months import add_months, current_month, months_between
from server.dues.payment_models import Channel, DuesPayment, PaymentStatus
from server.dues.schemas import (
    MyDuesQuerySchema,
    MyDuesSchema,
    OrderRequestSchema,
    OrderSchema,
    PaymentListSchema,
    PlacedOrderSchema,
    ProxyTokenSchema,
    ReceiptSchema,
)
from server.errors import AppError, NotFound
from server.http import ApiBlueprint
from server.members.models import Member
from server.orgs.models import Organisation
from server.wechat.pay import WeChatPayError

log = logging.getLogger(__name__)
blp = ApiBlueprint("dues_api", __name__, url_prefix="/api", description="党费")
BEARER = [{"bearer": []}]

#: a proxy token (代缴) lives this long
PROXY_TTL = timedelta(hours=2)
#: the bill of a month beyond the back-payment limit
TOO_OLD = "超过补缴期限，请联系支部书记"


def _proxy_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="dues-proxy-token")


def _member_behind(token: str) -> Member:
    try:
        member_id = _proxy_serializer().loads(token, max_age=int(PROXY_TTL.total_seconds()))
    except BadSignature as exc:  # SignatureExpired is one
        raise AppError("proxy_token_invalid", "代缴码无效或已过期，请让对方重新生成") from exc
    member = db.session.get(Member, member_id) if isinstance(member_id, int) else None
    if member is None:
        raise AppError("proxy_token_invalid", "代缴码无效或已过期，请让对方重新生成")
    return member


def _month(value) -> str:
    return f"{value:%Y-%m}"


@blp.route("/dues/me", methods=["GET"])
@member_required
@blp.arguments(MyDuesQuerySchema, location="query")
@blp.response(200, MyDuesSchema)
@blp.doc(security=BEARER)
def my_dues(query: dict):
    """Where my dues stand: paid up to, what I owe, my unpaid bills (oldest first), months I may pay ahead.
    With ``for_token`` (代缴), the same for the member who made the token, so a relative sees what they pay."""
    member = _member_behind(query["for_token"]) if query["for_token"] else current_member()
    this_month = current_month()
    generate_bills(this_month, member_ids=[member.id])
    first = earliest_payable_month(member, this_month)
    bills = db.session.scalars(
        sa.select(DuesBill)
        .where(DuesBill.member_id == member.id, DuesBill.status == BillStatus.UNPAID, DuesBill.month <= this_month)
        .order_by(DuesBill.month)
    ).all()
    ahead = []
    last = latest_payable_month(member, this_month)
    if last > this_month:
        months = months_between(add_months(this_month, 1), last)
        for month in months:
            generate_bills(month, member_ids=[member.id])
        ahead = [
            {"month": _month(b.month), "amount_fen": b.amount_fen}
            for b in db.session.scalars(
                sa.select(DuesBill)
                .where(
                    DuesBill.member_id == member.id, DuesBill.status == BillStatus.UNPAID, DuesBill.month.in_(months)
                )
                .order_by(DuesBill.month)
            )
        ]
    up_to = paid_up_to(member)
    return {
        "member_name": member.name,
        "paid_up_to": _month(up_to) if up_to else None,
        "owed_fen": sum(bill.amount_fen for bill in bills),
        "bills": [
            {
                "id": bill.id,
                "month": _month(bill.month),
                "amount_fen": bill.amount_fen,
                "status": bill.status.value,
                "payable": bill.month >= first,
                "reason": None if bill.month >= first else TOO_OLD,
            }
            for bill in bills
        ],
        "ahead": ahead,
        "voluntary_allowed": True,
    }


@blp.route("/dues/orders", methods=["POST"])
@member_required
@blp.arguments(OrderRequestSchema)
@blp.response(201, PlacedOrderSchema)
@blp.doc(security=BEARER)
def place_order(payload: dict):
    """Pay the chosen bills (and months ahead, where the branch allows) with WeChat Pay: pass ``payment``
    to ``wx.requestPayment``. With ``for_token``, the bills are those of the member who made the token."""
    payer = current_member()
    member = _member_behind(payload["for_token"]) if payload["for_token"] else payer
    openid = db.session.scalar(sa.select(MemberSession.openid).where(MemberSession.id == current_identity().session_id))
    try:
        placed = payments.place_order(
            member,
            payload["bill_ids"],
            ahead_months=payload["ahead_months"],
            extra_fen=payload["extra_fen"],
            payer=payer,
            payer_openid=openid,
        )
    except WeChatPayError as exc:
        log.warning("placing a dues order failed: %s", exc)
        raise AppError("wechatpay_unavailable", "微信支付暂时不可用，请稍后再试", status=503) from exc
    payment = placed.payment
    return {
        "order_no": payment.out_trade_no,
        "amount_fen": payment.amount_fen,
        "expires_at": payment.expires_at,
        "payment": placed.params,
    }


def _own_order(order_no: str) -> DuesPayment:
    identity = current_identity()
    payment = db.session.scalar(sa.select(DuesPayment).where(DuesPayment.out_trade_no == order_no[:32]))
    if payment is None or identity.id not in (payment.member_id, payment.payer_member_id):
        raise NotFound(payments.ORDER_MISSING)
    return payment


@blp.route("/dues/orders/<order_no>", methods=["GET"])
@member_required
@blp.response(200, OrderSchema)
@blp.doc(security=BEARER)
def order_status(order_no: str):
    """How my order stands; while pending, WeChat is asked (a few times a minute at most). ``unapplied``:
    WeChat took the money after the months were paid otherwise (the order had been closed); it covers
    nothing and the committee refunds it."""
    payment = payments.refresh_from_wechat(_own_order(order_no))
    return {
        "order_no": payment.out_trade_no,
        "status": payment.status.value,
        "amount_fen": payment.amount_fen,
        "paid_at": payment.paid_at,
        "months": payments.months_of(payment),
    }


SETTLED = (PaymentStatus.PAID, PaymentStatus.PARTLY_REFUNDED, PaymentStatus.REFUNDED, PaymentStatus.REVERSED)
#: money taken, shown in my history: settled payments, and money that paid for nothing (to be refunded)
TAKEN = (*SETTLED, PaymentStatus.UNAPPLIED)


@blp.route("/dues/payments", methods=["GET"])
@member_required
@blp.response(200, PaymentListSchema)
@blp.doc(security=BEARER)
def my_payments():
    """My dues payments (whoever paid them), newest first; ``status`` says where each stands (``unapplied``:
    the money came after the months were paid otherwise, it covers nothing and is refunded; no receipt)."""
    rows = db.session.scalars(
        sa.select(DuesPayment)
        .where(DuesPayment.member_id == current_identity().id, DuesPayment.status.in_(TAKEN))
        .order_by(DuesPayment.paid_at.desc(), DuesPayment.id.desc())
        .limit(200)
    ).all()
    return {
        "items": [
            {
                "id": p.id,
                "paid_at": p.paid_at,
                "amount_fen": p.amount_fen,
                "extra_fen": p.extra_fen,
                "channel": p.channel.value,
                "months": payments.months_of(p),
                "payer_name": p.payer_name,
                "refunded_fen": p.refunded_fen,
                "status": p.status.value,
            }
            for p in rows
        ]
    }


@blp.route("/dues/payments/<int:payment_id>/receipt", methods=["GET"])
@member_required
@blp.response(200, ReceiptSchema)
@blp.doc(security=BEARER)
def receipt(payment_id: int):
    """The receipt of one of my payments."""
    payment = db.session.get(DuesPayment, payment_id)
    if payment is None or payment.member_id != current_identity().id or payment.status not in SETTLED:
        raise NotFound("缴费记录不存在")
    member = current_member()
    return {
        "receipt_no": payment.receipt_no if payment.channel is not Channel.WECHAT else payment.out_trade_no,
        "member_name": member.name,
        "branch": db.session.get_one(Organisation, payment.org_id).name,
        "months": payments.months_of(payment),
        "amount_fen": payment.amount_fen,
        "extra_fen": payment.extra_fen,
        "channel": payment.channel.value,
        "paid_at": payment.paid_at,
        "payer_name": payment.payer_name,
    }


@blp.route("/dues/proxy-tokens", methods=["POST"])
@member_required
@blp.response(201, ProxyTokenSchema)
@blp.doc(security=BEARER)
def make_proxy_token():
    """A short-lived code with which a relative (another member) pays my bills (代缴)."""
    identity = current_identity()
    return {
        "token": _proxy_serializer().dumps(identity.id),
        "expires_at": utcnow() + PROXY_TTL,
        "member_name": identity.name,
    }
