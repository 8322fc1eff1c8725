"""Admin accounts: creation, and login slowed by growing waits after failures."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from server.auth.models import AdminUser, Role
from server.auth.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from server.auth.throttle import LoginThrottle
from server.db import db, utcnow
from server.errors import AppError
from server.orgs.models import Organisation

MIN_PASSWORD_LENGTH = 8


def create_admin(
    username: str,
    password: str,
    display_name: str,
    role: Role,
    org: Organisation | None,
    member_id: int | None = None,
) -> AdminUser:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AppError("weak_password", f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if role is not Role.SUPERADMIN and org is None:
        raise AppError("org_required", "请为该账号选择所管理的组织")
    if db.session.scalar(sa.select(AdminUser.id).where(AdminUser.username == username)):
        raise AppError("duplicate_username", f"用户名“{username}”已被使用")
    user = AdminUser(
        username=username,
        password_hash=hash_password(password),
        display_name=display_name,
        role=role,
        org=org,
        member_id=member_id,
    )
    db.session.add(user)
    db.session.flush()
    return user


def get_admin_by_username(username: str) -> AdminUser:
    user = db.session.scalar(sa.select(AdminUser).where(AdminUser.username == username))
    if user is None:
        raise AppError("admin_not_found", f"没有用户名为“{username}”的管理账号", status=404)
    return user


def lock_admin(user: AdminUser, hours: float) -> None:
    """Lock an account for ``hours`` (0 lifts the lock): no login, and its open sessions and the phone
    linked to it stop acting at once. For an account that may be in the wrong hands."""
    user.locked_until = utcnow() + timedelta(hours=hours) if hours > 0 else None
    db.session.flush()


def set_active(user: AdminUser, active: bool) -> None:
    """Disable an account (it can be enabled again) with the same immediate effect as a lock."""
    user.active = active
    db.session.flush()


def authenticate(username: str, password: str, address: str | None) -> AdminUser:
    """Check a login from ``address``.

    Every refusal is the same 401 after the same work (one password hash): an unknown name, a wrong
    password, a disabled or locked account and an attempt made while the throttle says wait
    (``server.auth.throttle``). A stranger learns neither whether an account exists nor how long to wait.
    """
    username = username.strip()
    throttle = LoginThrottle(username, address)
    if throttle.remaining_wait():
        verify_password(DUMMY_HASH, password)
        raise _refused()
    user = db.session.scalar(sa.select(AdminUser).where(AdminUser.username == username))
    if user is None or not user.may_act:
        verify_password(DUMMY_HASH, password)
        throttle.failed()
        raise _refused()
    if not verify_password(user.password_hash, password):
        throttle.failed()
        raise _refused()
    throttle.succeeded()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def _refused() -> AppError:
    return AppError("bad_credentials", "用户名或密码错误；多次输错后需稍等片刻才能再试", status=401)
