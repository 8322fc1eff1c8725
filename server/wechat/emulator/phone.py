"""The simulated phone: what the WeChat app on a member's phone would do for the mini-program.

These endpoints are not WeChat APIs. They let tests, the demo and a developer play the member:
``wx.login()``, the getPhoneNumber button, ``wx.requestSubscribeMessage``, turning the
mini-program's notifications off in WeChat's settings and reading the subscribe messages that
arrived. Failures answer HTTP 400 with ``{"errCode", "errMsg"}``, the shape a ``wx.*`` call's
fail callback receives.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, jsonify, request

from server.wechat.emulator.state import get_state

bp = Blueprint("wechat_phone", __name__, url_prefix="/_phone")

#: ``wx.requestSubscribeMessage`` accepts at most this many template ids per call.
MAX_TEMPLATES_PER_REQUEST = 3
_PHONE = re.compile(r"^\d{5,15}$")


class PhoneError(Exception):
    def __init__(self, err_code: int, err_msg: str) -> None:
        super().__init__(err_code, err_msg)
        self.err_code = err_code
        self.err_msg = err_msg


@bp.errorhandler(PhoneError)
def _on_phone_error(exc: PhoneError) -> tuple[Response, int]:
    return jsonify({"errCode": exc.err_code, "errMsg": exc.err_msg}), 400


def _body() -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise PhoneError(-1, "request body must be a JSON object")
    return body


def _user(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise PhoneError(-1, "user (a non-empty string naming the simulated user) is required")
    return value


@bp.post("/login")
def login() -> Response:
    return jsonify({"code": get_state().login_code(_user(_body().get("user")))})


@bp.post("/phone_code")
def phone_code() -> Response:
    body = _body()
    phone = body.get("phone")
    country_code = str(body.get("country_code", "86"))
    if not isinstance(phone, str) or not _PHONE.match(phone) or not country_code.isdigit():
        raise PhoneError(-1, "getPhoneNumber:fail phone must be digits without country code")
    code = get_state().phone_code(_user(body.get("user")), phone, country_code)
    return jsonify({"code": code})


@bp.post("/subscribe")
def subscribe() -> Response:
    body = _body()
    user = _user(body.get("user"))
    template_ids = body.get("template_ids")
    if not isinstance(template_ids, list) or not template_ids:
        raise PhoneError(10001, "requestSubscribeMessage:fail TmplIds can't be empty")
    if len(template_ids) > MAX_TEMPLATES_PER_REQUEST:
        raise PhoneError(20003, "requestSubscribeMessage:fail Templates count out of max bounds")
    state = get_state()
    if any(tid not in state.templates for tid in template_ids):
        raise PhoneError(20001, "requestSubscribeMessage:fail No template data return")
    # "accept": true/false answers every template alike; "choices" ({template id: "accept" | "reject"})
    # plays a member who ticks some switches in the dialog and not others.
    default = "accept" if body.get("accept", True) is True else "reject"
    choices = body.get("choices") or {}
    if not isinstance(choices, dict) or any(value not in ("accept", "reject") for value in choices.values()):
        raise PhoneError(-1, 'choices must map template ids to "accept" or "reject"')
    answers = {tid: choices.get(tid, default) for tid in template_ids}
    state.grant_subscription(user, [tid for tid, answer in answers.items() if answer == "accept"])
    # The same shape as the success callback of wx.requestSubscribeMessage.
    result: dict[str, str] = {"errMsg": "requestSubscribeMessage:ok"}
    result.update(answers)
    return jsonify(result)


#: the most members one ``/_phone/subscribe_many`` call plays, and the most taps each
MAX_USERS_PER_BULK, MAX_TAPS_PER_BULK = 20_000, 10


@bp.post("/subscribe_many")
def subscribe_many() -> Response:
    """Many members each tap "allow" ``times`` times for the same templates, in one call: a benchmark seeds the
    consent of 100,000 members this way instead of with 100,000 requests. The same checks as one tap."""
    body = _body()
    users, template_ids, times = body.get("users"), body.get("template_ids"), body.get("times", 1)
    if not isinstance(users, list) or not 0 < len(users) <= MAX_USERS_PER_BULK:
        raise PhoneError(-1, f"users must be a list of 1 to {MAX_USERS_PER_BULK} user names")
    if not isinstance(times, int) or isinstance(times, bool) or not 0 < times <= MAX_TAPS_PER_BULK:
        raise PhoneError(-1, f"times must be 1 to {MAX_TAPS_PER_BULK}")
    if not isinstance(template_ids, list) or not template_ids:
        raise PhoneError(10001, "requestSubscribeMessage:fail TmplIds can't be empty")
    if len(template_ids) > MAX_TEMPLATES_PER_REQUEST:
        raise PhoneError(20003, "requestSubscribeMessage:fail Templates count out of max bounds")
    state = get_state()
    if any(tid not in state.templates for tid in template_ids):
        raise PhoneError(20001, "requestSubscribeMessage:fail No template data return")
    names = [_user(user) for user in users]
    for name in names:
        for _ in range(times):
            state.grant_subscription(name, template_ids)
    return jsonify({"errMsg": "requestSubscribeMessage:ok", "users": len(names), "times": times})


@bp.post("/notifications")
def notifications() -> Response:
    """The member turns the mini-program's notifications off (or on again) in WeChat's settings:
    while off, every subscribe message to them is refused with 43101, whatever consent they gave."""
    body = _body()
    enabled = body.get("enabled")
    if not isinstance(enabled, bool):
        raise PhoneError(-1, "enabled (true or false) is required")
    get_state().set_notifications(_user(body.get("user")), enabled)
    return jsonify({"errMsg": "openSetting:ok", "enabled": enabled})


@bp.get("/messages")
def messages() -> Response:
    openid = request.args.get("openid") or None
    return jsonify([m.as_dict() for m in get_state().messages(openid)])


@bp.get("/openid")
def openid() -> Response:
    return jsonify({"openid": get_state().openid(_user(request.args.get("user")))})
