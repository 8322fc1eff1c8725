"""Application factory of the WeChat emulator.

Each WeChat surface is one blueprint over the same ``EmulatorState``: ``mp`` (the mini-program
server APIs on api.weixin.qq.com) and ``phone`` (the simulated member's phone). WeChat Pay v3
will be one more blueprint (``pay.py``) registered here, reading the same state.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, Response, jsonify

from server.wechat.emulator import mp, phone
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
) -> Flask:
    """A WSGI app that plays WeChat for one mini-program.

    ``templates`` maps each subscribe-message template id to its field keys, e.g.
    ``{"tmpl_meeting": ["thing1", "time2"]}``.
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
    app.extensions[EXTENSION_KEY] = state
    app.register_blueprint(mp.bp)
    app.register_blueprint(phone.bp)

    @app.get("/")
    def index() -> Response:
        # A cheap health check for whoever starts the emulator next to the app.
        return jsonify({"service": "wechat-emulator", "appid": appid})

    return app


def emulator_state(app: Flask) -> EmulatorState:
    return app.extensions[EXTENSION_KEY]
