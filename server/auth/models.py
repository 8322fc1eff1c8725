from __future__ import annotations

import enum
import hashlib
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.audit.services import org_id_of
from server.db import UTCDateTime, db, utcnow
from server.members.models import Member
from server.orgs.models import Organisation, enum_column


class Role(enum.StrEnum):
    SUPERADMIN = "superadmin"  # the whole deployment
    ORG_ADMIN = "org_admin"  # a committee or general branch and everything below it
    SECRETARY = "secretary"  # one branch: 支部书记 / 副书记
    COMMITTEE = "committee"  # one branch, read-only: other 支委委员

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def can_write(self) -> bool:
        return self is not Role.COMMITTEE


ROLE_LABELS = {
    Role.SUPERADMIN: "系统管理员",
    Role.ORG_ADMIN: "党委/党总支管理员",
    Role.SECRETARY: "支部书记",
    Role.COMMITTEE: "支部委员",
}
#: words that already say an account's role when its display name holds them ("邓艳（书记）", "系统管理员")
ROLE_WORDS = ("书记", "管理员", "委员")


class AdminUser(db.Model):
    """An account of the web admin. Scope is the subtree of ``org``; a superadmin has no org."""

    __tablename__ = "admin_users"
    __table_args__ = (sa.CheckConstraint("role = 'superadmin' OR org_id IS NOT NULL", name="scoped_unless_superadmin"),)
    __audited__ = True
    __audit_entity__ = "admin_user"
    __audit_ignore__ = ("password_hash", "last_login_at")

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: login name
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: argon2 hash of the password
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    #: name shown in the admin and in the audit trail
    display_name: Mapped[str] = mapped_column(sa.String(64))
    #: what the account may do
    role: Mapped[Role] = mapped_column(enum_column(Role, "admin_role"))
    #: root of the subtree this account administers
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: the member this account belongs to, if any (a secretary is usually a member too)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"), unique=True)
    #: locked by an operator (``flask lock-admin``) until this time: no login, and open sessions stop acting
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: last successful login
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: disabled accounts cannot log in
    active: Mapped[bool] = mapped_column(default=True)
    #: when created (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Organisation | None] = relationship()
    member: Mapped[Member | None] = relationship()

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > utcnow()

    @property
    def may_act(self) -> bool:
        """Disabled and locked accounts neither log in nor act through a session opened before."""
        return self.active and not self.is_locked()

    @property
    def signature(self) -> str:
        """The name and role for the top bar, the role said once: "邓艳（支部书记）", "系统管理员"."""
        if any(word in self.display_name for word in ROLE_WORDS):
            return self.display_name
        return f"{self.display_name}（{self.role.label}）"

    @property
    def credentials_epoch(self) -> str:
        """Changes with the password. Web sessions and phones remember it; a change ends what they may do."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    @property
    def scope_path(self) -> str:
        """Path prefix of everything this account may see; "/" is the whole tree."""
        return "/" if self.role is Role.SUPERADMIN or self.org is None else self.org.path  # type: ignore[return-value]

    def audit_label(self) -> str:
        return self.username

    def audit_org_id(self) -> int | None:
        return self.org_id


class BindMethod(enum.StrEnum):
    PHONE = "phone"
    INVITE = "invite"


BIND_METHOD_LABELS = {BindMethod.PHONE: "微信手机号验证", BindMethod.INVITE: "书记发放的邀请码"}


class WechatBinding(db.Model):
    """One WeChat user (openid) bound to one member."""

    __tablename__ = "wechat_bindings"
    __audited__ = True
    __audit_entity__ = "wechat_binding"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the member's openid in this mini-program
    openid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: the member
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), unique=True)
    #: how the binding was proved
    method: Mapped[BindMethod] = mapped_column(enum_column(BindMethod, "bind_method"))
    #: when (UTC)
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()

    def audit_label(self) -> str:
        return f"member #{self.member_id}"

    def audit_org_id(self) -> int | None:
        return org_id_of(self, Member.org_id, self.member_id)


class MemberSession(db.Model):
    """A mini-program login. The client holds the token; we keep only its SHA-256."""

    __tablename__ = "member_sessions"
    __table_args__ = (sa.CheckConstraint("expires_at > created_at", name="expires_after_created"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: hex SHA-256 of the bearer token
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: whose session
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    #: the WeChat user that logged in
    openid: Mapped[str] = mapped_column(sa.String(64))
    #: when issued (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: not accepted after this time
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: set when logged out, unbound or revoked by the secretary (a lost phone)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the linked admin account's ``credentials_epoch`` at login: the phone acts with the account's powers
    #: only while the password is unchanged
    admin_epoch: Mapped[str | None] = mapped_column(sa.String(16))

    member: Mapped[Member] = relationship()


class InviteCode(db.Model):
    """A one-time code a secretary gives a member whose phone in the register is wrong or missing."""

    __tablename__ = "invite_codes"
    __table_args__ = (sa.CheckConstraint("expires_at > created_at", name="expires_after_created"),)
    __audited__ = True
    __audit_entity__ = "invite_code"
    __audit_ignore__ = ("code_hash",)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: hex SHA-256 of the code; the code itself is shown once, when issued
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: the member it binds
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    #: admin who issued it
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: when issued (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: not accepted after this time
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when a member used it; a used code is spent
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: set when a newer code replaced it
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship()

    def audit_label(self) -> str:
        return f"member #{self.member_id}"

    def audit_org_id(self) -> int | None:
        return org_id_of(self, Member.org_id, self.member_id)
