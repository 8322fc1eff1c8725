"""Application factory of the WeChat emulator.

Each WeChat surface is one blueprint over the same ``EmulatorState``: ``mp`` (the mini-program
server APIs on api.weixin.qq.com), ``phone`` (the simulated member's phone) and ``pay`` (WeChat Pay v3
on api.mch.weixin.qq.com, with the phone's ``wx.requestPayment``), whose merchant state
(``paystate.PayState``, notifications in ``paynotify``) hangs off the same state as ``state.pay``
and shares its clock and lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, Response, jsonify

from server.wechat.emulator import mp, pay, phone
from server.wechat.emulator.paystate import load_pay_state
from server.wechat.emulator.state import EXTENSION_KEY, EmulatorState


def create_emulator_app(
    appid: str,
    secret: str,
    templates: dict[str, list[str]] | None = None,
    *,
    token_ttl: int = 7200,
    code_ttl: int = 300,
    issue_unionid: bool = False,
    clock: Callable[[], float] = time.time,
    pay_settings: dict[str, str] | None = None,
) -> Flask:
    """A WSGI app that plays WeChat for one mini-program.

    ``templates`` maps each subscribe-message template id to its field keys, e.g.
    ``{"tmpl_meeting": ["thing1", "time2"]}``. ``pay_settings`` overrides the merchant's test-only values
    (keyword arguments of ``paystate.load_pay_state``: ``mchid``, ``merchant_serial``, ``apiv3_key``, …).
    """
    app = Flask(__name__)
    state = EmulatorState(
        appid=appid,
        secret=secret,
        templates={tid: list(keys) for tid, keys in (templates or {}).items()},
        token_ttl=token_ttl,
        code_ttl=code_ttl,
        issue_unionid=issue_unionid,
        clock=clock,
    )
    state.pay = load_pay_state(appid=appid, now=state.now, lock=state._lock, **(pay_settings or {}))
    app.extensions[EXTENSION_KEY] = state
    app.wsgi_app = mp.FastSend(app.wsgi_app, state)  # the subscribe-message send, a push's every call
    app.register_blueprint(mp.bp)
    app.register_blueprint(phone.bp)
    app.register_blueprint(pay.bp)
    app.register_blueprint(pay.phone_bp)

    @app.get("/")
    def index() -> Response:
        # A cheap health check for whoever starts the emulator next to the app.
        return jsonify({"service": "wechat-emulator", "appid": appid})

    return app


def emulator_state(app: Flask) -> EmulatorState:
    return app.extensions[EXTENSION_KEY]
