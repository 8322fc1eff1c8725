"""Run the emulator on a real socket for the length of a test."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from server.wechat.emulator.app import create_emulator_app, emulator_state
from server.wechat.emulator.state import DeliveredMessage, EmulatorState

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


@contextmanager
def running_emulator(
    appid: str = DEFAULT_APPID,
    secret: str = DEFAULT_SECRET,
    templates: dict[str, list[str]] | None = None,
    **kwargs: Any,
) -> Iterator[RunningEmulator]:
    """Serve a fresh emulator on 127.0.0.1 (a free port) in a background thread."""
    app = create_emulator_app(appid, secret, templates, **kwargs)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    # A short poll interval keeps shutdown fast, so each test can have its own emulator.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield RunningEmulator(f"http://127.0.0.1:{server.port}", emulator_state(app), server)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
