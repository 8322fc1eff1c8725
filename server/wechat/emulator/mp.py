"""The mini-program server APIs, answered the way api.weixin.qq.com answers them.

WeChat reports failures with HTTP 200 and a JSON ``{"errcode", "errmsg"}`` body, so this
blueprint does too; only the mini-program code endpoint returns a non-JSON (PNG) body.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

import qrcode
from flask import Blueprint, Response, request
from PIL import Image

from server.wechat.emulator.state import (
    Delay,
    EmulatorError,
    HttpFailure,
    get_state,
    invalid_code,
    invalid_credential,
)

bp = Blueprint("wechat_mp", __name__)

_SCENE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")


def wechat_json(payload: dict[str, Any]) -> Response:
    # WeChat's own content type, and Chinese left readable like the real service does.
    body = json.dumps(payload, ensure_ascii=False)
    return Response(body, content_type="application/json; encoding=utf-8")


def error_response(exc: EmulatorError) -> Response:
    return wechat_json({"errcode": exc.errcode, "errmsg": exc.errmsg})


@bp.errorhandler(EmulatorError)
def _on_emulator_error(exc: EmulatorError) -> Response:
    return error_response(exc)


@bp.before_request
def _injected_failure() -> Response | None:
    # Lets tests see how the app copes with "system busy" (-1), a rate limit, a failing gateway or a hang.
    step = get_state().next_step(request.path)
    if isinstance(step, Delay):
        time.sleep(step.seconds)
        return None
    if isinstance(step, HttpFailure):
        return Response(f"<html><body>{step.status}</body></html>", status=step.status, content_type="text/html")
    return error_response(step) if step else None


def json_body() -> dict[str, Any]:
    # wechatpy posts JSON bytes without a Content-Type header, so parse regardless of it.
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise EmulatorError(47001, "data format error")
    return body


def requires_token(view: Callable[..., Response]) -> Callable[..., Response]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        get_state().check_token(request.args.get("access_token"))
        return view(*args, **kwargs)

    return wrapper


@bp.get("/cgi-bin/token")
def token() -> Response:
    state = get_state()
    if request.args.get("grant_type") != "client_credential":
        raise EmulatorError(40002, "invalid grant_type")
    state.check_app(
        request.args.get("appid"),
        request.args.get("secret"),
        invalid_credential(),
    )
    access_token, expires_in = state.issue_token()
    return wechat_json({"access_token": access_token, "expires_in": expires_in})


@bp.get("/sns/jscode2session")
def jscode2session() -> Response:
    # No access token here: code2session authenticates with appid + secret.
    state = get_state()
    state.check_app(
        request.args.get("appid"),
        request.args.get("secret"),
        EmulatorError(40125, "invalid appsecret"),
    )
    if request.args.get("grant_type") != "authorization_code":
        raise EmulatorError(40002, "invalid grant_type")
    js_code = request.args.get("js_code")
    if not js_code:
        raise EmulatorError(41008, "missing code")
    return wechat_json(state.code2session(js_code))


@bp.post("/wxa/business/getuserphonenumber")
@requires_token
def getuserphonenumber() -> Response:
    code = json_body().get("code")
    if not isinstance(code, str) or not code:
        raise invalid_code()
    phone_info = get_state().redeem_phone_code(code)
    return wechat_json({"errcode": 0, "errmsg": "ok", "phone_info": phone_info})


@bp.post("/wxa/getwxacodeunlimit")
@requires_token
def getwxacodeunlimit() -> Response:
    body = json_body()
    scene = body.get("scene")
    if not isinstance(scene, str) or not _SCENE.match(scene):
        raise EmulatorError(40169, "invalid length for scene, or the data is not json string")
    page = body.get("page") or ""
    if not isinstance(page, str) or page.startswith("/"):
        # WeChat wants the page without a leading slash.
        raise EmulatorError(41030, "invalid page rid")
    if body.get("env_version", "release") not in ("release", "trial", "develop"):
        raise EmulatorError(40097, "invalid args")
    try:
        # WeChat clamps an out-of-range width to 280..1280 rather than rejecting it.
        width = min(max(int(body.get("width", 430)), 280), 1280)
    except (TypeError, ValueError):
        raise EmulatorError(40097, "invalid args") from None
    return Response(render_code(f"{page}?scene={scene}", width), content_type="image/png")


SEND_PATH = "/cgi-bin/message/subscribe/send"


class FastSend:
    """WSGI middleware answering ``POST /cgi-bin/message/subscribe/send`` without Flask's request machinery.

    A push of 100,000 members is 100,000 of these calls; the emulator stands in for WeChat's servers, whose
    cost is not ours, so this one endpoint skips the routing, contexts and response objects (a third of the
    emulator's CPU a call) and answers exactly as the blueprint would: injected failures first, then the
    access token, the body, and the message, with the errcodes and body of ``wechat_json``.
    """

    def __init__(self, app: Callable[..., Any], state: Any) -> None:
        self.app = app
        self.state = state

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") != SEND_PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        status, content_type, body = self._answer(environ)
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    def _answer(self, environ: dict[str, Any]) -> tuple[str, str, bytes]:
        step = self.state.next_step(SEND_PATH)
        if isinstance(step, Delay):
            time.sleep(step.seconds)
        elif isinstance(step, HttpFailure):
            html = f"<html><body>{step.status}</body></html>".encode()
            return f"{step.status} {HTTPStatus(step.status).phrase}", "text/html", html
        try:
            if isinstance(step, EmulatorError):
                raise step
            token = parse_qs(environ.get("QUERY_STRING", "")).get("access_token", [None])[0]
            self.state.check_token(token)
            msgid = self.state.send_message(**_send_arguments(_read_json(environ)))
            payload: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "msgid": msgid}
        except EmulatorError as exc:
            payload = {"errcode": exc.errcode, "errmsg": exc.errmsg}
        return "200 OK", "application/json; encoding=utf-8", json.dumps(payload, ensure_ascii=False).encode()


def _read_json(environ: dict[str, Any]) -> dict[str, Any]:
    # wechatpy posts JSON bytes without a Content-Type header, so parse regardless of it.
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length)) if length > 0 else None
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise EmulatorError(47001, "data format error")
    return body


def _send_arguments(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "openid": body.get("touser"),
        "template_id": body.get("template_id"),
        "data": body.get("data"),
        "page": body.get("page"),
        "miniprogram_state": body.get("miniprogram_state") or "formal",
        "lang": body.get("lang") or "zh_CN",
    }


def render_code(payload: str, width: int) -> bytes:
    """A scannable square PNG of ``width`` pixels that encodes ``payload``."""
    image = qrcode.make(payload).get_image().convert("L")
    image = image.resize((width, width), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
