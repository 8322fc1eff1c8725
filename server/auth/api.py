"""Mini-program endpoints: log in with wx.login, bind, log out, unbind."""

from __future__ import annotations

from http import HTTPStatus

from flask import request

from server.auth import member_services
from server.auth.current import current_identity, current_member, member_required
from server.auth.schemas import BindInviteSchema, BindPhoneSchema, LoginSchema, OkSchema, SessionSchema
from server.errors import AppError
from server.extensions import limiter
from server.http import ApiBlueprint

blp = ApiBlueprint("auth_api", __name__, url_prefix="/api/auth", description="登录与绑定")


def _bind_limit_key() -> str:
    """Failed binding attempts count against the WeChat user (many members may share one site's address)."""
    body = request.get_json(silent=True)
    ticket = body.get("bind_ticket") if isinstance(body, dict) else None  # any JSON may come; the schema refuses it
    try:
        return (
            "bind:" + member_services.openid_from_ticket(ticket)
            if isinstance(ticket, str)
            else "bind-ip:" + (request.remote_addr or "")
        )
    except AppError:
        return "bind-ip:" + (request.remote_addr or "")


def _wechat_errors(view):
    """Document WeChat's own failures on a route that calls it: 502 when it answers with an error, 503 when
    it cannot be reached (``member_services._wechat_call``)."""
    for status in (HTTPStatus.BAD_GATEWAY, HTTPStatus.SERVICE_UNAVAILABLE):
        view = blp.alt_response(status, response=status.name)(view)
    return view


def _failed(response) -> bool:
    return response.status_code >= 400


def _session_payload(result: member_services.LoginResult) -> dict:
    return {
        "bound": result.member is not None,
        "token": result.token,
        "expires_at": result.expires_at,
        "bind_ticket": result.bind_ticket,
        "member": result.member,
    }


@blp.route("/login", methods=["POST"])
@limiter.limit("30/minute")
@blp.arguments(LoginSchema)
@blp.response(200, SessionSchema)
@_wechat_errors
def login(payload: dict):
    """Exchange a wx.login code for a session, or for a bind ticket if this WeChat user is not bound yet."""
    return _session_payload(member_services.login_with_wechat(payload["code"]))


@blp.route("/bind/phone", methods=["POST"])
@limiter.limit("5/minute;20/hour", key_func=_bind_limit_key, deduct_when=_failed)
@blp.arguments(BindPhoneSchema)
@blp.response(200, SessionSchema)
@_wechat_errors
def bind_phone(payload: dict):
    """Bind with the phone number WeChat verified (getPhoneNumber code)."""
    return _session_payload(member_services.bind_with_phone(payload["bind_ticket"], payload["phone_code"]))


@blp.route("/bind/invite", methods=["POST"])
@limiter.limit("5/minute;20/hour", key_func=_bind_limit_key, deduct_when=_failed)
@blp.arguments(BindInviteSchema)
@blp.response(200, SessionSchema)
def bind_invite(payload: dict):
    """Bind with a one-time invite code from the branch secretary plus the member's name."""
    return _session_payload(
        member_services.bind_with_invite(payload["bind_ticket"], payload["invite_code"], payload["name"])
    )


@blp.route("/logout", methods=["POST"])
@member_required
@blp.response(200, OkSchema)
@blp.doc(security=[{"bearer": []}])
def logout():
    """End this session."""
    member_services.logout(current_identity())
    return {"ok": True}


@blp.route("/unbind", methods=["POST"])
@member_required
@blp.response(200, OkSchema)
@blp.doc(security=[{"bearer": []}])
def unbind():
    """Unbind this WeChat from the member record and end all of its sessions."""
    member_services.unbind(current_member())
    return {"ok": True}
