"""WeChat Pay v3 as the emulator keeps it: the merchant's orders and refunds.

One ``PayState`` per emulator, on the same clock as ``EmulatorState`` (``state.advance`` moves both), so a
test compresses WeChat's 24-hour retry schedule into ``advance`` + ``deliver_due`` calls. The
notifications it owes are queued and sent by ``paynotify.NotificationOutbox``; trade bills are written by
``paybill``.
"""

from __future__ import annotations

import functools
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from server.wechat.emulator.paynotify import (
    BEIJING,
    Attempt,
    Notification,
    NotificationOutbox,
    Transport,
    http_transport,
    rfc3339,
)

#: The emulator cannot know every openid after a restart, so it checks their shape only.
_OPENID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
#: A prepay_id is valid for two hours.
PREPAY_TTL = 7200

__all__ = ["Attempt", "Notification", "Order", "PayError", "PayState", "Refund", "load_pay_state"]


class PayError(Exception):
    """A Pay v3 error answer: HTTP ``status`` with ``{"code", "message"}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Refund:
    out_refund_no: str
    refund_id: str
    out_trade_no: str
    amount: int
    reason: str | None
    notify_url: str | None
    created_at: float
    status: str = "PROCESSING"
    success_at: float | None = None


@dataclass
class Order:
    appid: str
    mchid: str
    out_trade_no: str
    description: str
    total: int
    payer_openid: str
    notify_url: str
    attach: str | None
    time_expire: float | None
    prepay_id: str
    created_at: float
    trade_state: str = "NOTPAY"
    transaction_id: str | None = None
    success_at: float | None = None
    refunds: list[Refund] = field(default_factory=list)

    @property
    def refunded(self) -> int:
        """What has left (or is held to leave) the order: every refund but the closed ones."""
        return sum(r.amount for r in self.refunds if r.status != "CLOSED")

    def as_transaction(self) -> dict[str, Any]:
        """The order as ``GET /v3/pay/transactions/out-trade-no/{no}`` and the notification show it."""
        body: dict[str, Any] = {
            "appid": self.appid,
            "mchid": self.mchid,
            "out_trade_no": self.out_trade_no,
            "trade_type": "JSAPI",
            "trade_state": self.trade_state,
            "trade_state_desc": TRADE_STATE_DESC[self.trade_state],
            "attach": self.attach or "",
            "payer": {"openid": self.payer_openid},
            "amount": {"total": self.total, "currency": "CNY"},
        }
        if self.transaction_id:
            body["transaction_id"] = self.transaction_id
            body["bank_type"] = "OTHERS"
            body["success_time"] = rfc3339(self.success_at or 0)
            body["amount"].update({"payer_total": self.total, "payer_currency": "CNY"})
        return body


TRADE_STATE_DESC = {
    "NOTPAY": "订单未支付",
    "SUCCESS": "支付成功",
    "CLOSED": "订单已关闭",
    "REFUND": "转入退款",
    "PAYERROR": "支付失败",
    "USERPAYING": "用户支付中",
}


class PayState(NotificationOutbox):
    """The merchant account WeChat Pay keeps for one mchid, behind the emulator's lock and clock."""

    def __init__(
        self,
        *,
        appid: str,
        mchid: str,
        merchant_serial: str,
        merchant_public_key: RSAPublicKey,
        platform_private_key: RSAPrivateKey,
        platform_public_key_id: str,
        apiv3_key: str,
        now: Callable[[], float],
        lock: threading.RLock,
    ) -> None:
        self.appid = appid
        self.mchid = mchid
        self.merchant_serial = merchant_serial
        self.merchant_public_key = merchant_public_key
        self.platform_private_key = platform_private_key
        self.platform_public_key_id = platform_public_key_id
        self.apiv3_key = apiv3_key
        self.now = now
        self._lock = lock
        self.orders: dict[str, Order] = {}
        self._by_prepay: dict[str, str] = {}
        self.refunds: dict[str, Refund] = {}
        self.notifications: list[Notification] = []
        self.held = False
        self.transport: Transport = http_transport
        self.bill_files: dict[str, bytes] = {}
        #: how the next refunds end (test control, ``end_next_refund``); a refund not listed succeeds
        self.refund_endings: list[str] = []

    # -- orders ---------------------------------------------------------------

    def create_order(self, body: dict[str, Any]) -> str:
        """``POST /v3/pay/transactions/jsapi``: the prepay_id, or a ``PayError`` as WeChat words it."""
        order = _validated_order(self, body)
        with self._lock:
            existing = self.orders.get(order.out_trade_no)
            if existing is not None:
                if existing.trade_state in ("SUCCESS", "REFUND"):
                    raise PayError(400, "ORDERPAID", "该订单已支付")
                if existing.trade_state == "CLOSED":
                    raise PayError(400, "ORDER_CLOSED", "订单已关闭")
                same = (existing.total, existing.payer_openid, existing.description) == (
                    order.total,
                    order.payer_openid,
                    order.description,
                )
                if not same:
                    raise PayError(403, "OUT_TRADE_NO_USED", "商户订单号重复")
                return existing.prepay_id
            self.orders[order.out_trade_no] = order
            self._by_prepay[order.prepay_id] = order.out_trade_no
            return order.prepay_id

    def order(self, out_trade_no: str) -> Order:
        with self._lock:
            order = self.orders.get(out_trade_no)
        if order is None:
            raise PayError(404, "ORDER_NOT_EXIST", "订单不存在")
        return order

    def order_by_prepay(self, prepay_id: str) -> Order:
        with self._lock:
            out_trade_no = self._by_prepay.get(prepay_id)
        if out_trade_no is None:
            raise PayError(404, "ORDER_NOT_EXIST", "订单不存在")
        return self.order(out_trade_no)

    def close(self, out_trade_no: str) -> None:
        with self._lock:
            order = self.order(out_trade_no)
            if order.trade_state in ("SUCCESS", "REFUND"):
                raise PayError(400, "ORDERPAID", "该订单已支付")
            order.trade_state = "CLOSED"  # closing a closed order again is accepted, as on WeChat

    def pay(self, prepay_id: str, openid: str | None = None, *, even_if_closed: bool = False) -> Order:
        """The member confirmed payment on the phone: the order succeeds and its notification is queued.

        ``even_if_closed`` plays the race in which the member's payment went through as we closed the
        order (or as it expired): WeChat's order ends SUCCESS and is notified like any other.
        """
        with self._lock:
            order = self.order_by_prepay(prepay_id)
            now = self.now()
            if openid is not None and openid != order.payer_openid:
                raise PayError(403, "PAYER_MISMATCH", "支付用户与下单用户不一致")
            if order.trade_state in ("SUCCESS", "REFUND"):
                raise PayError(400, "ORDERPAID", "该订单已支付")
            if not even_if_closed:
                if order.trade_state == "CLOSED":
                    raise PayError(400, "ORDER_CLOSED", "订单已关闭")
                if now > order.created_at + PREPAY_TTL:
                    raise PayError(400, "PREPAY_EXPIRED", "prepay_id已过期")
                if order.time_expire is not None and now > order.time_expire:
                    raise PayError(400, "ORDER_EXPIRED", "订单已过期")
            order.trade_state = "SUCCESS"
            order.success_at = now
            order.transaction_id = (
                "4200" + datetime.fromtimestamp(now, BEIJING).strftime("%Y%m%d") + (f"{secrets.randbelow(10**16):016d}")
            )
            self._queue("TRANSACTION.SUCCESS", order.notify_url, order.as_transaction(), order.out_trade_no)
            return order

    # -- refunds --------------------------------------------------------------

    def refund(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /v3/refund/domestic/refunds``: the refund as WeChat first answers it (PROCESSING)."""
        out_refund_no = body.get("out_refund_no")
        amount = body.get("amount")
        if not isinstance(out_refund_no, str) or not 1 <= len(out_refund_no) <= 64:
            raise PayError(400, "PARAM_ERROR", "out_refund_no 格式错误")
        if not isinstance(amount, dict) or not all(
            isinstance(amount.get(k), int) and not isinstance(amount.get(k), bool) for k in ("refund", "total")
        ):
            raise PayError(400, "PARAM_ERROR", "amount.refund 与 amount.total 必填且为整数（分）")
        if amount.get("currency", "CNY") != "CNY":
            raise PayError(400, "PARAM_ERROR", "currency 仅支持 CNY")
        with self._lock:
            existing = self.refunds.get(out_refund_no)
            if existing is not None:
                if existing.amount != amount["refund"]:
                    raise PayError(400, "INVALID_REQUEST", "退款单号重复，且与之前请求不一致")
                return self.refund_view(existing)
            out_trade_no = body.get("out_trade_no")
            if not out_trade_no and body.get("transaction_id"):
                out_trade_no = next(
                    (o.out_trade_no for o in self.orders.values() if o.transaction_id == body["transaction_id"]), None
                )
            order = self.order(out_trade_no or "")
            if order.trade_state not in ("SUCCESS", "REFUND"):
                raise PayError(400, "INVALID_REQUEST", "订单未支付，不能退款")
            if amount["total"] != order.total:
                raise PayError(400, "INVALID_REQUEST", "订单金额与原订单金额不一致")
            if amount["refund"] <= 0:
                raise PayError(400, "PARAM_ERROR", "退款金额必须大于0")
            if amount["refund"] > order.total - order.refunded:
                raise PayError(403, "NOT_ENOUGH", "申请退款金额超过订单可退金额")
            now = self.now()
            refund = Refund(
                out_refund_no=out_refund_no,
                refund_id="5030" + f"{secrets.randbelow(10**24):024d}",
                out_trade_no=order.out_trade_no,
                amount=amount["refund"],
                reason=body.get("reason"),
                notify_url=body.get("notify_url") or None,
                created_at=now,
            )
            order.refunds.append(refund)
            order.trade_state = "REFUND"
            self.refunds[out_refund_no] = refund
            answer = self.refund_view(refund)  # WeChat answers PROCESSING, then ends it
            self._end_refund(refund, self.refund_endings.pop(0) if self.refund_endings else "SUCCESS")
            return answer

    def end_next_refund(self, status: str) -> None:
        """The next refund asked for ends ``ABNORMAL`` (the money cannot reach the payer, e.g. a closed
        bank card: WeChat holds it until the merchant settles it) or ``CLOSED`` (nothing refunded)."""
        if status not in ("SUCCESS", "ABNORMAL", "CLOSED"):
            raise ValueError(f"a refund ends SUCCESS, ABNORMAL or CLOSED, not {status!r}")
        with self._lock:
            self.refund_endings.append(status)

    def settle_abnormal_refund(self, out_refund_no: str, status: str = "SUCCESS") -> None:
        """The merchant settles an ABNORMAL refund on the merchant platform (异常退款): it ends ``status``
        (SUCCESS: paid back by another route; CLOSED: given up) and is notified again."""
        with self._lock:
            refund = self.refunds[out_refund_no]
            if refund.status != "ABNORMAL" or status not in ("SUCCESS", "CLOSED"):
                raise PayError(400, "INVALID_REQUEST", "退款状态不是异常，或处理结果不正确")
            self._end_refund(refund, status)

    def _end_refund(self, refund: Refund, status: str) -> None:
        refund.status = status
        refund.success_at = self.now() if status == "SUCCESS" else None
        if refund.notify_url:
            self._queue(f"REFUND.{status}", refund.notify_url, self.refund_resource(refund), refund.out_trade_no)

    def refund_view(self, refund: Refund) -> dict[str, Any]:
        order = self.orders[refund.out_trade_no]
        view = {
            "refund_id": refund.refund_id,
            "out_refund_no": refund.out_refund_no,
            "transaction_id": order.transaction_id,
            "out_trade_no": order.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": rfc3339(refund.created_at),
            "status": refund.status,
            "funds_account": "AVAILABLE",
            "amount": {
                "total": order.total,
                "refund": refund.amount,
                "payer_total": order.total,
                "payer_refund": refund.amount,
                "settlement_total": order.total,
                "settlement_refund": refund.amount,
                "discount_refund": 0,
                "currency": "CNY",
                "refund_fee": 0,
            },
            "promotion_detail": [],
        }
        if refund.success_at is not None:
            view["success_time"] = rfc3339(refund.success_at)
        return view

    def refund_resource(self, refund: Refund) -> dict[str, Any]:
        order = self.orders[refund.out_trade_no]
        return {
            "mchid": self.mchid,
            "out_trade_no": order.out_trade_no,
            "transaction_id": order.transaction_id,
            "out_refund_no": refund.out_refund_no,
            "refund_id": refund.refund_id,
            "refund_status": refund.status,
            "success_time": rfc3339(refund.success_at or refund.created_at),
            "user_received_account": "支付用户零钱",
            "amount": {
                "total": order.total,
                "refund": refund.amount,
                "payer_total": order.total,
                "payer_refund": refund.amount,
            },
        }


def _validated_order(state: PayState, body: dict[str, Any]) -> Order:
    def need(name: str, value: Any, ok: bool) -> Any:
        if value is None:
            raise PayError(400, "PARAM_ERROR", f"输入源“/body/{name}”映射到字段“{name}”必填性规则校验失败")
        if not ok:
            raise PayError(400, "PARAM_ERROR", f"输入源“/body/{name}”映射到字段“{name}”规则校验失败")
        return value

    mchid = need("mchid", body.get("mchid"), isinstance(body.get("mchid"), str))
    appid = need("appid", body.get("appid"), isinstance(body.get("appid"), str))
    if mchid != state.mchid:
        raise PayError(400, "MCH_NOT_EXISTS", "商户号不存在")
    if appid != state.appid:
        raise PayError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
    description = body.get("description")
    need("description", description, isinstance(description, str) and 1 <= len(description) <= 127)
    out_trade_no = body.get("out_trade_no")
    need(
        "out_trade_no",
        out_trade_no,
        isinstance(out_trade_no, str)
        and 6 <= len(out_trade_no) <= 32
        and out_trade_no.isascii()
        and all(c.isalnum() or c in "_-|*" for c in out_trade_no),
    )
    notify_url = body.get("notify_url")
    need("notify_url", notify_url, isinstance(notify_url, str) and _notify_url_ok(notify_url))
    amount = need("amount", body.get("amount"), isinstance(body.get("amount"), dict))
    total = amount.get("total")
    if not isinstance(total, int) or isinstance(total, bool) or total < 1:
        raise PayError(400, "PARAM_ERROR", "输入源“/body/amount/total”“订单总金额”规则校验失败，值低于最小值 1")
    if amount.get("currency", "CNY") != "CNY":
        raise PayError(400, "PARAM_ERROR", "currency 仅支持 CNY")
    payer = need("payer", body.get("payer"), isinstance(body.get("payer"), dict))
    openid = payer.get("openid")
    if not isinstance(openid, str) or not openid:
        raise PayError(400, "PARAM_ERROR", "输入源“/body/payer/openid”映射到字段“用户标识”必填性规则校验失败")
    if not _OPENID.match(openid):
        raise PayError(400, "PARAM_ERROR", "openid和appid不匹配")
    attach = body.get("attach")
    if attach is not None and (not isinstance(attach, str) or len(attach.encode()) > 128):
        raise PayError(400, "PARAM_ERROR", "attach 长度超过128字节")
    time_expire = body.get("time_expire")
    expire_ts = None
    if time_expire is not None:
        try:
            parsed = datetime.fromisoformat(time_expire) if isinstance(time_expire, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise PayError(400, "PARAM_ERROR", "time_expire 须为 rfc3339 格式，如 2018-06-08T10:34:56+08:00")
        expire_ts = parsed.timestamp()
        if expire_ts <= state.now():
            raise PayError(400, "PARAM_ERROR", "time_expire 不能早于当前时间")
    return Order(
        appid=appid,
        mchid=mchid,
        out_trade_no=out_trade_no,
        description=description,
        total=total,
        payer_openid=openid,
        notify_url=notify_url,
        attach=attach,
        time_expire=expire_ts,
        prepay_id="wx" + datetime.fromtimestamp(state.now(), BEIJING).strftime("%d%H%M%S") + secrets.token_hex(12),
        created_at=state.now(),
    )


def _notify_url_ok(url: str) -> bool:
    """WeChat wants an https URL without a query; the emulator also takes plain http to this machine."""
    parts = urlparse(url)
    if parts.query or not parts.hostname or len(url) > 255:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost"))


@functools.lru_cache(maxsize=8)
def _private_key(pem: str) -> RSAPrivateKey:
    """Read once per key: checking an RSA key costs a tenth of a second, and the tests start an emulator each."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, RSAPrivateKey)
    return key


def load_pay_state(
    *,
    appid: str,
    now: Callable[[], float],
    lock: threading.RLock,
    mchid: str | None = None,
    merchant_serial: str | None = None,
    apiv3_key: str | None = None,
    platform_public_key_id: str | None = None,
    merchant_public_key_pem: str | None = None,
    platform_private_key_pem: str | None = None,
) -> PayState:
    """A ``PayState`` with the committed test-only keys and values unless others are given."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from server.wechat.pay import settings

    merchant_pem = merchant_public_key_pem or settings.TEST_MERCHANT_PUBLIC_KEY_FILE.read_text()
    platform_pem = platform_private_key_pem or settings.TEST_PLATFORM_PRIVATE_KEY_FILE.read_text()
    merchant_key = load_pem_public_key(merchant_pem.encode())
    platform_key = _private_key(platform_pem)
    assert isinstance(merchant_key, RSAPublicKey)
    return PayState(
        appid=appid,
        mchid=mchid or settings.TEST_MCHID,
        merchant_serial=merchant_serial or settings.TEST_MERCHANT_SERIAL,
        merchant_public_key=merchant_key,
        platform_private_key=platform_key,
        platform_public_key_id=platform_public_key_id or settings.TEST_PLATFORM_PUBLIC_KEY_ID,
        apiv3_key=apiv3_key or settings.TEST_APIV3_KEY,
        now=now,
        lock=lock,
    )
