"""Admin accounts: creation, login with lockout after repeated failures."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from server.auth.models import AdminUser, Role
from server.auth.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from server.db import db, keep_on_error, utcnow
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


def authenticate(username: str, password: str) -> AdminUser:
    """Check a login; count failures and lock the account after too many of them."""
    user = db.session.scalar(sa.select(AdminUser).where(AdminUser.username == username.strip()))
    if user is None or not user.active:
        verify_password(DUMMY_HASH, password)
        raise AppError("bad_credentials", "用户名或密码错误", status=401)
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise AppError("account_locked", f"登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试", status=423)
    if not verify_password(user.password_hash, password):
        _count_failure(user)
        raise AppError("bad_credentials", "用户名或密码错误", status=401)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.flush()
    return user


def _count_failure(user: AdminUser) -> None:
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["ADMIN_MAX_FAILED_LOGINS"]:
        user.locked_until = utcnow() + timedelta(minutes=current_app.config["ADMIN_LOCKOUT_MINUTES"])
        user.failed_logins = 0
    db.session.flush()
    keep_on_error()  # the refusal below must not roll the count back
