"""A fresh WeChat emulator per test, on a real socket, and our client pointed at it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.wrappers import Request

from server.wechat.client import WeChatMiniProgram
from server.wechat.emulator import EmulatorState, create_emulator_app, emulator_state
from server.wechat.emulator.testing import (
    DEFAULT_APPID,
    DEFAULT_SECRET,
    RunningEmulator,
    pay_settings_for,
    running_emulator,
)
from server.wechat.pay import WeChatPayClient

TEMPLATES = {
    "tmpl_meeting": ["thing1", "time2", "thing3"],
    "tmpl_dues": ["amount1", "character_string2", "phrase3"],
    "tmpl_quiz": ["thing1"],
    "tmpl_news": ["thing1"],
}


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator(DEFAULT_APPID, DEFAULT_SECRET, TEMPLATES) as running:
        yield running


@pytest.fixture
def wechat(emulator: RunningEmulator) -> Iterator[WeChatMiniProgram]:
    client = WeChatMiniProgram(emulator.base_url, emulator.appid, emulator.secret, timeout=2)
    yield client
    client.close()


@pytest.fixture
def emulator_app() -> Flask:
    """The emulator without a socket, for checking its answers one request at a time."""
    return create_emulator_app(DEFAULT_APPID, DEFAULT_SECRET, TEMPLATES)


@pytest.fixture
def state(emulator_app: Flask) -> EmulatorState:
    return emulator_state(emulator_app)


@pytest.fixture
def http(emulator_app: Flask) -> FlaskClient:
    return emulator_app.test_client()


# -- WeChat Pay v3 --------------------------------------------------------------------------------


@dataclass
class Receiver:
    """Our notify URL as a bare socket server: records each POST, answers ``answers`` in turn then 200."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        request = Request(environ)
        with self.lock:
            self.received.append((dict(request.headers), request.get_data()))
            status = self.answers.pop(0) if self.answers else 200
        if status in (200, 204):
            start_response(f"{status} OK", [])
            return []
        start_response(f"{status} ERROR", [("Content-Type", "application/json")])
        return [b'{"code": "FAIL", "message": "failed"}']


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder = Receiver(url="")
    server = make_server("127.0.0.1", 0, holder, threaded=True)
    holder.url = f"http://127.0.0.1:{server.port}/api/wechatpay/notify"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield holder
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def wechatpay(emulator: RunningEmulator, receiver: Receiver) -> WeChatPayClient:
    """Our adapter aimed at the emulator, notifications to ``receiver``, on the emulator's clock."""
    return WeChatPayClient(pay_settings_for(emulator, receiver.url), clock=emulator.state.now)
