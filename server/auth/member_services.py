"""Mini-program login, binding a WeChat user to a member, sessions and invite codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from server.auth.models import AdminUser, BindMethod, InviteCode, MemberSession, WechatBinding
from server.auth.tokens import digest, new_invite_code, new_token, normalise_invite_code
from server.db import DriverStatement, db, driver_or_core, utcnow
from server.errors import AppError, Unauthorized
from server.members.models import Member
from server.wechat import get_wechat
from server.wechat.errors import CODE2SESSION_RATE_LIMITED, INVALID_CODE, WeChatError, WeChatUnavailable


@dataclass
class LoginResult:
    member: Member | None
    token: str | None = None
    expires_at: datetime | None = None
    bind_ticket: str | None = None


def _ticket_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="wechat-bind-ticket")


def _wechat_call(fn, *args):
    """Call WeChat, turning its failures into messages a member can act on."""
    try:
        return fn(*args)
    except WeChatError as exc:
        if exc.errcode == INVALID_CODE:
            raise AppError("wechat_code_invalid", "微信登录凭证无效或已使用，请重新进入小程序") from exc
        if exc.errcode == CODE2SESSION_RATE_LIMITED:  # this member's logins, counted by WeChat
            raise AppError("wechat_rate_limited", "操作过于频繁，请稍后再试", status=429) from exc
        if isinstance(exc, WeChatUnavailable):  # busy, the mini-program's quota, no answer in time
            raise AppError("wechat_unavailable", "微信服务暂时不可用，请稍后再试", status=503) from exc
        raise AppError("wechat_error", f"微信接口出错（{exc.errcode}），请稍后再试", status=502) from exc


def login_with_wechat(js_code: str) -> LoginResult:
    """Exchange a ``wx.login`` code; log the member in if bound, else hand back a bind ticket."""
    openid = _wechat_call(get_wechat().code_to_session, js_code)["openid"]
    binding = db.session.scalar(sa.select(WechatBinding).where(WechatBinding.openid == openid))
    if binding is None:
        return LoginResult(member=None, bind_ticket=_ticket_serializer().dumps({"openid": openid}))
    return _start_session(binding.member, openid)


def openid_from_ticket(ticket: str) -> str:
    max_age = current_app.config["BIND_TICKET_MINUTES"] * 60
    try:
        return _ticket_serializer().loads(ticket, max_age=max_age)["openid"]
    except SignatureExpired as exc:
        raise AppError("bind_ticket_expired", "绑定已超时，请重新进入小程序后再绑定", status=401) from exc
    except (BadSignature, KeyError, TypeError) as exc:
        raise AppError("bind_ticket_invalid", "绑定凭证无效，请重新进入小程序", status=401) from exc


def bind_with_phone(ticket: str, phone_code: str) -> LoginResult:
    """Bind with the phone number WeChat verified, matched against the register."""
    openid = openid_from_ticket(ticket)
    phone = _wechat_call(get_wechat().get_phone_number, phone_code)
    members = list(db.session.scalars(sa.select(Member).where(Member.phone == phone).limit(2)))
    if not members:
        raise AppError("phone_not_registered", "名册中没有这个手机号，请使用支部书记发放的邀请码绑定", status=404)
    if len(members) > 1:
        raise AppError("phone_ambiguous", "名册中有多名党员使用这个手机号，请使用邀请码绑定", status=409)
    return _bind(members[0], openid, BindMethod.PHONE)


def bind_with_invite(ticket: str, code: str, name: str) -> LoginResult:
    """Bind with a one-time invite code plus the member's name."""
    openid = openid_from_ticket(ticket)
    invite = db.session.scalar(
        sa.select(InviteCode).where(InviteCode.code_hash == digest(normalise_invite_code(code))).with_for_update()
    )
    if invite is None or invite.revoked_at is not None or invite.member.name != name.strip():
        raise AppError("invite_code_invalid", "邀请码或姓名不正确，请核对后重试")
    if invite.used_at is not None:
        raise AppError("invite_code_used", "该邀请码已使用过，请联系支部书记重新发放")
    if invite.expires_at <= utcnow():
        raise AppError("invite_code_expired", "邀请码已过期，请联系支部书记重新发放")
    invite.used_at = utcnow()
    return _bind(invite.member, openid, BindMethod.INVITE)


def _bind(member: Member, openid: str, method: BindMethod) -> LoginResult:
    if db.session.scalar(sa.select(WechatBinding.id).where(WechatBinding.openid == openid)):
        raise AppError("wechat_already_bound", "这个微信已绑定党员身份，请直接登录", status=409)
    if db.session.scalar(sa.select(WechatBinding.id).where(WechatBinding.member_id == member.id)):
        raise AppError(
            "member_already_bound", "该党员已绑定其他微信；如更换了微信，请联系支部书记解除原绑定", status=409
        )
    db.session.add(WechatBinding(openid=openid, member=member, method=method))
    db.session.flush()
    return _start_session(member, openid)


def _start_session(member: Member, openid: str) -> LoginResult:
    token = new_token()
    now = utcnow()
    expires_at = now + timedelta(days=current_app.config["MEMBER_TOKEN_DAYS"])
    admin = db.session.scalar(sa.select(AdminUser).where(AdminUser.member_id == member.id))
    db.session.add(
        MemberSession(
            token_hash=digest(token),
            member=member,
            openid=openid,
            created_at=now,
            expires_at=expires_at,
            admin_epoch=admin.credentials_epoch if admin else None,
        )
    )
    db.session.flush()
    return LoginResult(member=member, token=token, expires_at=expires_at)


@dataclass(frozen=True)
class MemberIdentity:
    """Who a bearer token belongs to: enough to authorise and attribute a request without loading the member.

    Read in one statement on every mini-program request; the full ``Member`` is loaded only by the
    endpoints that need it (see ``server.auth.current.current_member``).
    """

    session_id: int
    id: int
    name: str
    org_id: int
    group_id: int | None
    #: the linked admin account's password epoch when this phone logged in (see ``AdminUser.credentials_epoch``)
    admin_epoch: str | None


_sessions, _members = MemberSession.__table__, Member.__table__
_IDENTITY_BY_TOKEN = (
    sa.select(
        _sessions.c.id,
        _sessions.c.revoked_at,
        _sessions.c.expires_at,
        _sessions.c.admin_epoch,
        _members.c.id,
        _members.c.name,
        _members.c.org_id,
        _members.c.group_id,
    )
    .join_from(_sessions, _members, _members.c.id == _sessions.c.member_id)
    .where(_sessions.c.token_hash == sa.bindparam("token_hash"))
)
_IDENTITY_BY_TOKEN_PG = DriverStatement(_IDENTITY_BY_TOKEN)  # every member request: the driver's own path


def member_for_token(token: str) -> MemberIdentity:
    """The member behind a bearer token, or a 401 that says why."""
    params = {"token_hash": digest(token)}
    row = driver_or_core(_IDENTITY_BY_TOKEN_PG, params).fetchone()
    if row is None:
        raise Unauthorized("登录凭证无效，请重新登录", code="token_invalid")
    session_id, revoked_at, expires_at, admin_epoch, *member = row
    if revoked_at is not None:
        raise Unauthorized("登录已失效，请重新登录", code="token_revoked")
    if expires_at <= utcnow():
        raise Unauthorized("登录已过期，请重新登录", code="token_expired")
    return MemberIdentity(session_id, *member, admin_epoch)


def logout(identity: MemberIdentity) -> None:
    """End the session the request came with."""
    db.session.get_one(MemberSession, identity.session_id).revoked_at = utcnow()
    db.session.flush()


def revoke_sessions(member: Member) -> int:
    """End every mini-program session of a member (a lost phone)."""
    result = db.session.execute(
        sa.update(MemberSession)
        .where(MemberSession.member_id == member.id, MemberSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount


def unbind(member: Member) -> None:
    """Remove the member's WeChat binding and end their sessions."""
    binding = db.session.scalar(sa.select(WechatBinding).where(WechatBinding.member_id == member.id))
    if binding is None:
        raise AppError("not_bound", "该党员尚未绑定微信")
    revoke_sessions(member)
    db.session.delete(binding)
    db.session.flush()


def binding_of(member: Member) -> WechatBinding | None:
    return db.session.scalar(sa.select(WechatBinding).where(WechatBinding.member_id == member.id))


def issue_invite_code(member: Member, issued_by_id: int | None) -> tuple[InviteCode, str]:
    """A fresh invite code for ``member``; earlier unused codes stop working. Returns the plain code once."""
    now = utcnow()
    db.session.execute(
        sa.update(InviteCode)
        .where(InviteCode.member_id == member.id, InviteCode.used_at.is_(None), InviteCode.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    code = new_invite_code()
    invite = InviteCode(
        code_hash=digest(code),
        member=member,
        created_by_id=issued_by_id,
        created_at=now,  # pragma: no mutate (left out, the column's default stamps the same moment)
        expires_at=now + timedelta(days=current_app.config["INVITE_CODE_DAYS"]),
    )
    db.session.add(invite)
    db.session.flush()
    return invite, code
