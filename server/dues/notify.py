"""``POST /api/wechatpay/notify``: WeChat Pay's payment and refund notifications.

In order: the adapter verifies the delivery (signature type, platform serial, timestamp within five
minutes, RSA signature) and decrypts it; the notification's id is claimed (one INSERT … ON CONFLICT DO
NOTHING): an id claimed before is answered success and changes nothing (a replay within the five
minutes, a duplicate); then the order (or refund) must be ours with the same amount, merchant and app
id; then it is applied once under the payment's row lock (``payments.apply_transaction`` /
``refunds.apply_refund``), and every change it makes is in the audit trail in the name of 微信支付
(``payment_status.WECHAT_PAY``). The claim, the apply and the audit are one transaction, committed once:
any refusal answers 4xx with WeChat's ``{"code": "FAIL", …}`` and rolls it back, claim included, so a
refused or failed delivery writes nothing and the next one is judged afresh.

A duplicate racing the first delivery waits on the first one's claim (the id's unique index) rather
than on the payment, and once the first commits it finds the id claimed and does nothing: no payment or
bill row is locked or read, and its transaction writes nothing (no commit to flush to disk). A
notification for the same order under another id still meets the payment's lock and status.
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request

from server.db import core_execute, db, insert_unless_present, utcnow
from server.dues import payments, refunds
from server.dues.paygate import get_pay
from server.dues.payment_models import PayNotification
from server.extensions import limiter
from server.wechat.pay import InvalidNotification

log = logging.getLogger(__name__)

bp = Blueprint("wechatpay", __name__, url_prefix="/api/wechatpay")

#: a notification body is a few hundred bytes; anything this large is not WeChat
MAX_BODY = 16 * 1024


@limiter.request_filter
def _not_rate_limited() -> bool:
    """No rate limit applies to WeChat's notifications (a limit per address would refuse WeChat's own
    servers at volume, and a forged one costs us a header check). Today no app-wide limit is set, so the
    limiter's pass before each view is not even installed (server/__init__.py); this keeps the notify path
    exempt, and cheap, the day one is."""
    return request.blueprint == bp.name


def _fail(status: int, reason: str):
    db.session.rollback()
    response = jsonify(code="FAIL", message=reason)
    response.status_code = status
    return response


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
    if notification.transaction is not None:
        out_trade_no = notification.transaction.out_trade_no
    elif notification.refund is not None:
        out_trade_no = notification.refund.out_trade_no
    else:
        return _fail(400, "event_type")
    if not notification.id or not _claim(notification.id, notification.event_type, out_trade_no):
        return "", 204  # its transaction wrote nothing; the request's commit (server/__init__.py) ends it
    try:
        if notification.transaction is not None:
            payments.apply_transaction(notification.transaction)
        else:
            refunds.apply_refund(notification.refund)
    except payments.Refused as exc:
        log.error("refused a verified notification %s: %s", notification.id, exc.reason)
        return _fail(400, exc.reason)
    db.session.commit()  # the claim, the apply and its audit: success is answered only once they are stored
    return "", 204


def _claim(notification_id: str, event_type: str, out_trade_no: str) -> bool:
    """Record the notification's id in this transaction; False if it was recorded before (by a committed
    delivery: a concurrent one holding the same id is waited for)."""
    values = {
        "notification_id": notification_id[:64],
        "event_type": event_type[:40],
        "out_trade_no": out_trade_no[:32],
        "received_at": utcnow(),
    }
    return core_execute(_CLAIM, values).first() is not None


# Built once, the same SQL on PostgreSQL and SQLite (server.db.insert_unless_present): every delivery runs it.
_CLAIM = insert_unless_present(
    PayNotification.__table__,
    ["notification_id", "event_type", "out_trade_no", "received_at"],
    ["notification_id"],
    returning="notification_id",
)
