"""``POST /api/wechatpay/notify``: WeChat Pay's payment and refund notifications.

In order: the adapter verifies the delivery (signature type, platform serial, timestamp within five
minutes, RSA signature) and decrypts it; an id we applied before is answered success and changes
nothing (a replay within the five minutes, a duplicate); then the order (or refund) must be ours with
the same amount, merchant and app id; then it is applied once under the payment's row lock
(``payments.apply_transaction`` / ``refunds.apply_refund``), and every change it makes is in the audit
trail in the name of 微信支付 (``payment_status.WECHAT_PAY``). Any refusal answers 4xx with WeChat's
``{"code": "FAIL", …}`` and writes nothing: the request's transaction is rolled back.
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request

from server.db import db
from server.dues import payments, refunds
from server.dues.paygate import get_pay
from server.dues.payment_models import PayNotification
from server.wechat.pay import InvalidNotification

log = logging.getLogger(__name__)

bp = Blueprint("wechatpay", __name__, url_prefix="/api/wechatpay")

#: a notification body is a few hundred bytes; anything this large is not WeChat
MAX_BODY = 16 * 1024


def _fail(status: int, reason: str):
    db.session.rollback()
    response = jsonify(code="FAIL", message=reason)
    response.status_code = status
    return response


def _seen(notification_id: str) -> bool:
    return db.session.get(PayNotification, notification_id) is not None


@bp.route("/notify", methods=["POST"])
def notify():
    """WeChat's notification: 204 applied (or already applied), 4xx refused, 500 try again later."""
    if (request.content_length or 0) > MAX_BODY:
        return _fail(413, "too large")
    body = request.get_data(cache=False)
    if len(body) > MAX_BODY:
        return _fail(413, "too large")
    try:
        notification = get_pay().verify_notification(request.headers, body)
    except InvalidNotification as exc:
        log.warning("refused a WeChat Pay notification: %s", exc)
        return _fail(401, exc.reason)
    if not notification.id or _seen(notification.id):
        return "", 204
    try:
        if notification.transaction is not None:
            out_trade_no = notification.transaction.out_trade_no
            payments.apply_transaction(notification.transaction)
        elif notification.refund is not None:
            out_trade_no = notification.refund.out_trade_no
            refunds.apply_refund(notification.refund)
        else:
            return _fail(400, "event_type")
    except payments.Refused as exc:
        log.error("refused a verified notification %s: %s", notification.id, exc.reason)
        return _fail(400, exc.reason)
    # Recorded after the apply, inside its transaction: a duplicate racing this one waits on the
    # payment's row lock, then finds the payment paid; the id is for byte-for-byte replays.
    db.session.execute(
        _insert_ignore().values(
            notification_id=notification.id[:64],
            event_type=notification.event_type[:40],
            out_trade_no=out_trade_no[:32],
        )
    )
    db.session.commit()
    return "", 204


def _insert_ignore():
    table = PayNotification.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).on_conflict_do_nothing(index_elements=["notification_id"])
    return statement
