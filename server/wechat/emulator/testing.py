"""Run the emulator on a real socket for the length of a test."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from server.wechat.emulator.app import create_emulator_app, emulator_state
from server.wechat.emulator.paynotify import Attempt, Dispatcher, Notification, Transport
from server.wechat.emulator.paystate import Order, PayState
from server.wechat.emulator.state import DeliveredMessage, EmulatorState
from server.wechat.pay.settings import (
    DEFAULT_NOTIFY_URL,
    TEST_MERCHANT_PRIVATE_KEY_FILE,
    TEST_PLATFORM_PUBLIC_KEY_FILE,
    PaySettings,
)

DEFAULT_APPID = "wx_test_appid"
DEFAULT_SECRET = "test_secret"


class _QuietHandler(WSGIRequestHandler):
    # HTTP/1.0: no keep-alive, so once the emulator is shut down no lingering handler thread
    # keeps answering a client's pooled connection ("emulator down" must really be down).
    protocol_version = "HTTP/1.0"

    # One log line per request only adds noise to test output.
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class RunningEmulator:
    """A live emulator: point a client at ``base_url``, play the member through the helpers."""

    base_url: str
    state: EmulatorState
    server: BaseWSGIServer

    @property
    def appid(self) -> str:
        return self.state.appid

    @property
    def secret(self) -> str:
        return self.state.secret

    def login_code(self, user: str) -> str:
        return self.state.login_code(user)

    def phone_code(self, user: str, phone: str) -> str:
        return self.state.phone_code(user, phone)

    def grant_subscription(self, user: str, template_ids: Iterable[str]) -> None:
        self.state.grant_subscription(user, template_ids)

    def set_notifications(self, user: str, enabled: bool) -> None:
        self.state.set_notifications(user, enabled)

    def messages(self, openid: str | None = None) -> list[DeliveredMessage]:
        return self.state.messages(openid)

    def openid(self, user: str) -> str:
        return self.state.openid(user)

    def fail_next(
        self, path: str, errcode: int = -1, errmsg: str = "system error", times: int = 1, *, after: int = 0
    ) -> None:
        self.state.fail_next(path, errcode, errmsg, times, after=after)

    def fail_next_http(self, path: str, status: int = 502, times: int = 1, *, after: int = 0) -> None:
        self.state.fail_next_http(path, status, times, after=after)

    def delay_next(self, path: str, seconds: float, times: int = 1, *, after: int = 0) -> None:
        self.state.delay_next(path, seconds, times, after=after)

    def calls(self, path: str) -> int:
        return self.state.calls(path)

    def advance(self, seconds: float) -> None:
        """Move WeChat's clock (tokens, codes, orders' expiry, the notification retry schedule)."""
        self.state.advance(seconds)

    # -- WeChat Pay v3: the member's phone and the notifications WeChat owes us ----------------------

    @property
    def pay(self) -> PayState:
        return self.state.pay

    def request_payment(self, user: str, params: dict[str, str], *, cancel: bool = False) -> dict[str, Any]:
        """``wx.requestPayment(params)`` on ``user``'s phone, over HTTP (checks ``paySign`` as WeChat does).
        Returns ``{"errMsg": "requestPayment:ok", "transaction_id"}`` or ``{"errMsg": "requestPayment:fail …"}``."""
        body = {**params, "user": user, "action": "cancel" if cancel else "confirm"}
        return requests.post(f"{self.base_url}/_phone/pay", json=body, timeout=5).json()

    def confirm_payment(self, prepay_id: str, user: str | None = None, *, even_if_closed: bool = False) -> Order:
        """The member pays (no paySign check): the order is SUCCESS and its notification is due now.
        ``even_if_closed``: the payment went through although the order was closed or expired (a race)."""
        return self.pay.pay(prepay_id, self.openid(user) if user else None, even_if_closed=even_if_closed)

    def end_next_refund(self, status: str) -> None:
        """The next refund ends ``ABNORMAL`` or ``CLOSED`` instead of succeeding (``PayState.end_next_refund``)."""
        self.pay.end_next_refund(status)

    def settle_abnormal_refund(self, out_refund_no: str, status: str = "SUCCESS") -> None:
        """The merchant settles an ABNORMAL refund on the merchant platform; WeChat notifies ``status``."""
        self.pay.settle_abnormal_refund(out_refund_no, status)

    def notifications(self, out_trade_no: str | None = None, event_type: str | None = None) -> list[Notification]:
        return self.pay.find(out_trade_no, event_type)

    def deliver_due(self) -> list[Attempt]:
        """Make every delivery WeChat's schedule has due by now (the emulator's clock); see ``advance``."""
        return self.pay.deliver_due()

    def deliver_now(self, out_trade_no: str | None = None, event_type: str | None = None) -> Attempt:
        """Deliver the latest matching notification at once, outside the schedule (an ack still counts)."""
        return self.pay.send(self.pay.latest(out_trade_no, event_type), kind="now")

    def deliver_duplicates(
        self, out_trade_no: str, count: int, *, concurrent: bool = False, event_type: str | None = None
    ) -> list[Attempt]:
        return self.pay.send_duplicates(self.pay.latest(out_trade_no, event_type), count, concurrent=concurrent)

    def hold_notifications(self, held: bool = True) -> None:
        """While held, no scheduled delivery is made (WeChat cannot reach us); the schedule resumes after."""
        self.pay.held = held

    def replay(self, attempt: Attempt) -> Attempt:
        return self.pay.replay(attempt)

    def send_tampered(self, out_trade_no: str, how: str, event_type: str | None = None) -> Attempt:
        return self.pay.send_tampered(self.pay.latest(out_trade_no, event_type), how)

    def send_altered(self, out_trade_no: str, event_type: str | None = None, **changes: Any) -> Attempt:
        return self.pay.send_altered(self.pay.latest(out_trade_no, event_type), **changes)

    def use_transport(self, transport: Transport) -> None:
        """How notifications travel: HTTP to the notify_url by default; e.g. ``flask_transport(app)``."""
        self.pay.transport = transport


@contextmanager
def running_emulator(
    appid: str = DEFAULT_APPID,
    secret: str = DEFAULT_SECRET,
    templates: dict[str, list[str]] | None = None,
    *,
    deliver_notifications: bool = False,
    **kwargs: Any,
) -> Iterator[RunningEmulator]:
    """Serve a fresh emulator on 127.0.0.1 (a free port) in a background thread.

    Pay notifications are sent only when a test asks (``deliver_due``, ``deliver_now``, …) unless
    ``deliver_notifications`` starts the background sender that ``python -m server.wechat.emulator`` runs.
    """
    app = create_emulator_app(appid, secret, templates, **kwargs)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    # A short poll interval keeps shutdown fast, so each test can have its own emulator.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    dispatcher = Dispatcher(emulator_state(app).pay, interval=0.05).start() if deliver_notifications else None
    try:
        yield RunningEmulator(f"http://127.0.0.1:{server.port}", emulator_state(app), server)
    finally:
        if dispatcher is not None:
            dispatcher.stop()
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


# -- WeChat Pay v3 ------------------------------------------------------------------------------


def pay_settings_for(running: RunningEmulator, notify_url: str = DEFAULT_NOTIFY_URL, **changes: Any) -> PaySettings:
    """The adapter's settings that match this emulator's merchant (the committed test-only keys)."""
    pay = running.state.pay
    values: dict[str, Any] = {
        "api_base": running.base_url,
        "mchid": pay.mchid,
        "appid": running.appid,
        "merchant_serial": pay.merchant_serial,
        "merchant_private_key": TEST_MERCHANT_PRIVATE_KEY_FILE.read_text(),
        "apiv3_key": pay.apiv3_key,
        "platform_public_key": TEST_PLATFORM_PUBLIC_KEY_FILE.read_text(),
        "platform_public_key_id": pay.platform_public_key_id,
        "notify_url": notify_url,
        "connect_timeout": 2.0,
        "read_timeout": 3.0,
    }
    return PaySettings(**(values | changes))


def flask_transport(app: Flask) -> Transport:
    """Deliver notifications straight into a Flask app (its test client), keeping the URL's path."""

    def transport(url: str, headers: dict[str, str], body: bytes, timeout: float) -> tuple[int, str]:
        path = urlsplit(url).path
        response = app.test_client().post(path, data=body, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    return transport
