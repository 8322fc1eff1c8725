"""The user behind the current request: a member (bearer token) or an admin (server-side session)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import g, request, session

from server.audit.context import PHONE_ADMIN, PHONE_SUFFIX, Actor, set_actor
from server.auth import member_services
from server.auth.models import AdminUser
from server.db import db
from server.errors import Unauthorized
from server.members.models import Member


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def member_required(view: Callable) -> Callable:
    """Mini-program endpoints: a valid, unexpired, unrevoked bearer token is required."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = bearer_token()
        if token is None:
            raise Unauthorized("请先登录", code="token_missing")
        g.member_identity = identity = member_services.member_for_token(token)
        set_actor(Actor("member", identity.id, identity.name, request.remote_addr))
        return view(*args, **kwargs)

    return wrapper


def current_identity() -> member_services.MemberIdentity:
    """The logged-in member as read with the token: id, name, branch and group, no query."""
    return g.member_identity


def current_member() -> Member:
    """The logged-in member's full record, loaded on first use in the request."""
    if "member" not in g:
        g.member = db.session.get_one(Member, g.member_identity.id)
    return g.member


def phone_admin_account() -> AdminUser | None:
    """The admin account the member at the phone acts through right now, if any (secretary mode).

    A secretary's account is linked to their member record, and their phone schedules meetings and scans
    members with its powers. Read afresh on every request, so those powers end at once when the account
    is disabled or locked, or when its password has changed since this phone logged in (logging in again
    in the mini-program proves the WeChat binding anew). The member's own session is untouched.

    From here on the request is on the record as the account, acting from the mini-program.
    """
    identity = current_identity()
    admin = db.session.scalar(sa.select(AdminUser).where(AdminUser.member_id == identity.id))
    if admin is None or not admin.may_act or identity.admin_epoch != admin.credentials_epoch:
        return None
    set_actor(Actor(PHONE_ADMIN, admin.id, f"{admin.display_name[:58]}{PHONE_SUFFIX}", request.remote_addr))
    return admin


def load_admin() -> None:
    """Before each admin request: find the logged-in account, if any."""
    g.admin = None
    admin_id = session.get("admin_id")
    if admin_id is None:
        return
    admin = db.session.get(AdminUser, admin_id)
    if admin is None or not admin.may_act or session.get("admin_auth_epoch") != admin.credentials_epoch:
        session.clear()
        return
    g.admin = admin
    set_actor(Actor("admin", admin.id, admin.display_name, request.remote_addr))


def current_admin() -> AdminUser:
    return g.admin
