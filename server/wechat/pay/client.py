"""Our merchant's side of WeChat Pay v3, over wechatpayv3 in public-key mode.

``WeChatPayClient`` is the one object the dues code talks to: create a JSAPI order, sign the
mini-program's ``wx.requestPayment`` parameters, query and close orders, refund, download the day's
trade bill, and verify + decrypt the notifications WeChat POSTs to us. Its base URL is a setting
(the emulator offline, https://api.mch.weixin.qq.com in production): wechatpayv3 has no such option,
so the adapter sets the library's private ``_core._gate_way`` once, after construction. Every call has
a timeout; every failure leaves as ``WeChatPayError`` / ``WeChatPayUnavailable`` / ``InvalidNotification``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.utils import aes_decrypt

from server.wechat.pay.bill import TradeBill, parse_trade_bill
from server.wechat.pay.errors import (
    BAD_ANSWER,
    NO_STATEMENT_EXIST,
    RETRY_LATER,
    TIMEOUT,
    UNREACHABLE,
    InvalidNotification,
    WeChatPayError,
    WeChatPayUnavailable,
)
from server.wechat.pay.settings import PaySettings

_SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
_HEADERS = ("Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial")


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Transaction:
    """An order as WeChat reports it (query answer or ``TRANSACTION.SUCCESS`` resource)."""

    out_trade_no: str
    trade_state: str  # SUCCESS, NOTPAY, CLOSED, REFUND, USERPAYING, PAYERROR, REVOKED
    total_fen: int
    payer_total_fen: int | None
    transaction_id: str | None
    success_time: datetime | None  # aware
    payer_openid: str | None
    attach: str
    appid: str
    mchid: str
    raw: dict[str, Any]

    @classmethod
    def from_wechat(cls, data: Mapping[str, Any]) -> Transaction:
        amount = data.get("amount") or {}
        return cls(
            out_trade_no=data["out_trade_no"],
            trade_state=data["trade_state"],
            total_fen=int(amount["total"]),
            payer_total_fen=int(amount["payer_total"]) if "payer_total" in amount else None,
            transaction_id=data.get("transaction_id") or None,
            success_time=_parse_time(data.get("success_time")),
            payer_openid=(data.get("payer") or {}).get("openid"),
            attach=data.get("attach") or "",
            appid=data.get("appid", ""),
            mchid=data.get("mchid", ""),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Refund:
    """A refund as WeChat reports it (refund answer, refund query or ``REFUND.*`` resource)."""

    out_refund_no: str
    refund_id: str
    out_trade_no: str
    transaction_id: str | None
    status: str  # SUCCESS, PROCESSING, CLOSED, ABNORMAL (``refund_status`` in notifications)
    refund_fen: int
    total_fen: int
    success_time: datetime | None
    raw: dict[str, Any]

    @classmethod
    def from_wechat(cls, data: Mapping[str, Any]) -> Refund:
        amount = data.get("amount") or {}
        return cls(
            out_refund_no=data["out_refund_no"],
            refund_id=data["refund_id"],
            out_trade_no=data["out_trade_no"],
            transaction_id=data.get("transaction_id") or None,
            status=data.get("status") or data.get("refund_status") or "",
            refund_fen=int(amount["refund"]),
            total_fen=int(amount["total"]),
            success_time=_parse_time(data.get("success_time")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Notification:
    """A verified, decrypted notification. ``transaction`` or ``refund`` is set by its event type."""

    id: str
    event_type: str  # TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED
    create_time: datetime | None
    timestamp: int  # Wechatpay-Timestamp of this delivery
    resource: dict[str, Any]
    transaction: Transaction | None
    refund: Refund | None


class WeChatPayClient:
    """One merchant (``settings.mchid``) taking payments in one mini-program (``settings.appid``).

    ``clock`` is what "now" means for the freshness of notifications (tests pass the emulator's clock).
    """

    def __init__(self, settings: PaySettings, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        try:
            self._pay = WeChatPay(
                wechatpay_type=WeChatPayType.MINIPROG,
                mchid=settings.mchid,
                private_key=settings.merchant_private_key,
                cert_serial_no=settings.merchant_serial,
                appid=settings.appid,
                apiv3_key=settings.apiv3_key,
                notify_url=settings.notify_url,
                timeout=(settings.connect_timeout, settings.read_timeout),
                public_key=settings.platform_public_key,
                public_key_id=settings.platform_public_key_id,
            )
        except Exception as exc:  # wechatpayv3 raises bare Exception for a key it cannot load
            raise ValueError(f"WeChat Pay settings are not usable: {exc}") from exc
        # wechatpayv3 has no base-URL option: its gateway is this private attribute (DESIGN.md).
        self._pay._core._gate_way = settings.api_base.rstrip("/")

    # -- calls ------------------------------------------------------------------------

    def _call(self, what: str, call: Callable[[], tuple[int, Any]], *, effect: bool) -> tuple[int, Any]:
        """Run a wechatpayv3 call; ``effect``: the call changes something at WeChat (create, close, refund)."""
        try:
            status, body = call()
        except requests.ConnectTimeout as exc:
            raise WeChatPayUnavailable(0, UNREACHABLE, f"{what}: {exc}", uncertain=False) from exc
        except requests.Timeout as exc:
            raise WeChatPayUnavailable(0, TIMEOUT, f"{what}: no answer in time", uncertain=effect) from exc
        except requests.ConnectionError as exc:
            # A refused or failed connection never reached WeChat; a connection lost later may have.
            never_sent = _caused_by(exc, NewConnectionError)
            raise WeChatPayUnavailable(0, UNREACHABLE, f"{what}: {exc}", uncertain=effect and not never_sent) from exc
        except requests.RequestException as exc:
            raise WeChatPayUnavailable(0, UNREACHABLE, f"{what}: {exc}", uncertain=effect) from exc
        except Exception as exc:  # wechatpayv3: "failed to verify the signature" and the like
            raise WeChatPayUnavailable(0, BAD_ANSWER, f"{what}: {exc}", uncertain=effect) from exc
        if 200 <= status < 300:
            return status, body
        data = _json_or_none(body)
        code = str(data.get("code")) if isinstance(data, dict) and data.get("code") else f"HTTP_{status}"
        message = str(data.get("message", "")) if isinstance(data, dict) else str(body)[:200]
        if status >= 500 or code in RETRY_LATER:
            raise WeChatPayUnavailable(status, code, message, uncertain=effect and status >= 500)
        raise WeChatPayError(status, code, message)

    def _json_answer(self, what: str, call: Callable[[], tuple[int, Any]], *, effect: bool) -> dict[str, Any]:
        _, body = self._call(what, call, effect=effect)
        data = _json_or_none(body)
        if not isinstance(data, dict):
            raise WeChatPayUnavailable(0, BAD_ANSWER, f"{what}: answer is not a JSON object", uncertain=effect)
        return data

    def create_jsapi_order(
        self,
        *,
        out_trade_no: str,
        description: str,
        amount_fen: int,
        payer_openid: str,
        time_expire: datetime,
        attach: str | None = None,
        notify_url: str | None = None,
    ) -> str:
        """Place a JSAPI (mini-program) order; returns its ``prepay_id`` (valid two hours).

        ``time_expire`` must be timezone-aware. Placing the same ``out_trade_no`` again with the same
        content returns the order's prepay_id; with other content WeChat answers ``OUT_TRADE_NO_USED``.
        """
        if amount_fen <= 0:
            raise ValueError("amount_fen must be positive")
        if time_expire.tzinfo is None:
            raise ValueError("time_expire must be timezone-aware")
        data = self._json_answer(
            "create order",
            lambda: self._pay.pay(
                description=description,
                out_trade_no=out_trade_no,
                amount={"total": amount_fen, "currency": "CNY"},
                payer={"openid": payer_openid},
                time_expire=time_expire.isoformat(timespec="seconds"),
                attach=attach,
                notify_url=notify_url or self.settings.notify_url,
                pay_type=WeChatPayType.MINIPROG,
            ),
            effect=True,
        )
        prepay_id = data.get("prepay_id")
        if not isinstance(prepay_id, str) or not prepay_id:
            raise WeChatPayUnavailable(0, BAD_ANSWER, "create order: no prepay_id", uncertain=True)
        return prepay_id

    def payment_params(self, prepay_id: str) -> dict[str, str]:
        """What the mini-program passes to ``wx.requestPayment``, signed with the merchant key."""
        timestamp = str(int(time.time()))
        nonce = secrets.token_hex(16)
        package = f"prepay_id={prepay_id}"
        pay_sign = self._pay.sign([self.settings.appid, timestamp, nonce, package])
        return {"timeStamp": timestamp, "nonceStr": nonce, "package": package, "signType": "RSA", "paySign": pay_sign}

    def query_order(self, out_trade_no: str) -> Transaction:
        """The order as WeChat has it; ``WeChatPayError`` with code ``ORDER_NOT_EXIST`` if WeChat has none."""
        data = self._json_answer("query order", lambda: self._pay.query(out_trade_no=out_trade_no), effect=False)
        return Transaction.from_wechat(data)

    def close_order(self, out_trade_no: str) -> None:
        """Close an unpaid order (again is fine); ``ORDERPAID`` if it was paid meanwhile."""
        self._call("close order", lambda: self._pay.close(out_trade_no=out_trade_no), effect=True)

    def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        refund_fen: int,
        total_fen: int,
        reason: str | None = None,
        notify_url: str | None = None,
    ) -> Refund:
        """Refund ``refund_fen`` of the order (whose full amount is ``total_fen``); same ``out_refund_no``
        again returns the same refund. The answer is usually PROCESSING; REFUND.SUCCESS is notified."""
        if refund_fen <= 0:
            raise ValueError("refund_fen must be positive")
        data = self._json_answer(
            "refund",
            lambda: self._pay.refund(
                out_refund_no=out_refund_no,
                amount={"refund": refund_fen, "total": total_fen, "currency": "CNY"},
                out_trade_no=out_trade_no,
                reason=reason,
                notify_url=notify_url or self.settings.notify_url,
            ),
            effect=True,
        )
        return Refund.from_wechat(data)

    def query_refund(self, out_refund_no: str) -> Refund:
        data = self._json_answer("query refund", lambda: self._pay.query_refund(out_refund_no), effect=False)
        return Refund.from_wechat(data)

    def trade_bill(self, bill_date: date, bill_type: str = "ALL") -> TradeBill:
        """The day's (Asia/Shanghai) trade bill, downloaded, checked against its SHA1 and parsed.

        A day without trades is an empty bill (``rows == []``, ``summary is None``).
        """
        try:
            data = self._json_answer(
                "trade bill",
                lambda: self._pay.trade_bill(bill_date=bill_date.isoformat(), bill_type=bill_type, tar_type="GZIP"),
                effect=False,
            )
        except WeChatPayError as exc:
            if exc.code == NO_STATEMENT_EXIST:
                return TradeBill(rows=[], summary=None)
            raise
        url = data.get("download_url")
        if not isinstance(url, str):
            raise WeChatPayUnavailable(0, BAD_ANSWER, "trade bill: no download_url", uncertain=False)
        _, content = self._call("download bill", lambda: self._pay.download_bill(url), effect=False)
        raw = content if isinstance(content, bytes) else str(content).encode()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        if data.get("hash_type") == "SHA1" and hashlib.sha1(raw).hexdigest() != str(data.get("hash_value")).lower():
            raise WeChatPayUnavailable(0, BAD_ANSWER, "trade bill: SHA1 differs from hash_value", uncertain=False)
        return parse_trade_bill(raw.decode("utf-8"))

    # -- notifications -------------------------------------------------------------------

    def verify_notification(self, headers: Mapping[str, str], body: bytes | str) -> Notification:
        """Check a notification WeChat POSTed to our notify URL and decrypt its resource.

        In this order: signature type, platform serial (must be ours), timestamp within
        ``settings.callback_max_skew`` seconds of ``clock()`` either way (wechatpayv3 does not check
        it), the RSA-SHA256 signature over ``timestamp\\nnonce\\nbody\\n`` with the platform public key,
        then AES-256-GCM decryption under the APIv3 key. Raises ``InvalidNotification``; answer it 4xx.
        A valid notification may still be a duplicate: the caller must apply it idempotently.
        """
        text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
        get = headers.get
        values = {name: get(name) or get(name.lower()) or "" for name in (*_HEADERS, "Wechatpay-Signature-Type")}
        if values["Wechatpay-Signature-Type"] != _SIGNATURE_TYPE:
            raise InvalidNotification("signature_type", values["Wechatpay-Signature-Type"][:40])
        if values["Wechatpay-Serial"] != self.settings.platform_public_key_id:
            raise InvalidNotification("serial", values["Wechatpay-Serial"][:80])
        stamp = values["Wechatpay-Timestamp"]
        if not stamp.isdigit() or abs(self.clock() - int(stamp)) > self.settings.callback_max_skew:
            raise InvalidNotification("timestamp", stamp[:20])
        if not self._pay._core._verify_signature(values, text):
            raise InvalidNotification("signature")
        envelope = _json_or_none(text)
        resource = envelope.get("resource") if isinstance(envelope, dict) else None
        if (
            not isinstance(resource, dict)
            or envelope.get("resource_type") != "encrypt-resource"
            or resource.get("algorithm") != "AEAD_AES_256_GCM"
            or not all(isinstance(resource.get(k), str) for k in ("nonce", "ciphertext"))
        ):
            raise InvalidNotification("malformed")
        try:
            plain = aes_decrypt(
                nonce=resource["nonce"],
                ciphertext=resource["ciphertext"],
                associated_data=resource.get("associated_data") or "",
                apiv3_key=self.settings.apiv3_key,
            )
        except Exception as exc:  # bad base64, wrong nonce length
            raise InvalidNotification("decrypt", str(exc)[:80]) from exc
        data = _json_or_none(plain) if plain is not None else None
        if not isinstance(data, dict):
            raise InvalidNotification("decrypt")
        event_type = str(envelope.get("event_type", ""))
        try:
            transaction = Transaction.from_wechat(data) if event_type.startswith("TRANSACTION.") else None
            refund = Refund.from_wechat(data) if event_type.startswith("REFUND.") else None
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidNotification("malformed", f"resource lacks {exc}") from exc
        return Notification(
            id=str(envelope.get("id", "")),
            event_type=event_type,
            create_time=_parse_time(envelope.get("create_time")),
            timestamp=int(stamp),
            resource=data,
            transaction=transaction,
            refund=refund,
        )


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind) or any(isinstance(arg, kind) for arg in seen.args):
            return True
        reason = getattr(seen, "reason", None)
        if isinstance(reason, kind):
            return True
        seen = seen.__cause__ or seen.__context__ or (reason if isinstance(reason, BaseException) else None)
    return False


def _json_or_none(body: Any) -> Any:
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    try:
        return json.loads(body) if isinstance(body, str) and body else None
    except ValueError:
        return None
