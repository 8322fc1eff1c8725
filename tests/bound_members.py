"""What the newspaper, notice and mailbox tests share: one of their subscribe templates added to the tests'
deployment, admin accounts written straight into the table, and members bound to fresh WeChat users of the
session's emulator who allowed that template's messages."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server.audit.context import Actor, acting_as
from server.auth.member_services import _start_session
from server.auth.models import AdminUser, BindMethod, Role, WechatBinding
from server.db import db, utcnow
from server.members.models import Member
from server.orgs.models import Organisation
from server.subscriptions.models import Choice, Subscription
from server.wechat import get_wechat

_users = itertools.count()


def add_template(app, emulator, monkeypatch, purpose: str, template_id: str, page: str, fields: dict) -> dict:
    """The purpose's template, in the emulator and in the deployment's mp_config, for one test only (the
    tests' deployment has only the meeting template, which other tests count on); no quiet hours unless the
    test sets them."""
    monkeypatch.setitem(emulator.state.templates, template_id, list(fields))
    tpl = {"template_id": template_id, "page": page, "fields": fields, "fields_": fields}
    monkeypatch.setitem(app.extensions["mp_config"]["subscribe_templates"], purpose, tpl)
    monkeypatch.setitem(app.config, "PUSH_QUIET_HOURS", "")
    # A token this emulator issued: one kept in Redis by an earlier run would be refused once and shift the
    # calls that tests script failures for.
    get_wechat().client.fetch_access_token()
    return tpl


def account_maker(password_hash: str) -> Callable[..., AdminUser]:
    """``account(username, role, org, name=None)``: an admin account with the tests' password, not committed."""

    def account(username: str, role: Role, org: Organisation | None, name: str | None = None) -> AdminUser:
        admin = AdminUser(
            username=username, password_hash=password_hash, display_name=name or username, role=role, org=org
        )
        db.session.add(admin)
        return admin

    return account


@dataclass
class BoundMember:
    """A member bound to a fresh WeChat user of the emulator, with a mini-program session."""

    member: Member
    user: str
    openid: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def bound_member_maker(
    make_member, emulator, template_id: str, prefix: str, default_consent: int
) -> Callable[..., BoundMember]:
    """``make(org, consent=default_consent, bound=True, **fields)``: a member of ``org`` bound to WeChat who
    allowed ``consent`` messages of the template (in the emulator, WeChat's truth, and in our count, as the
    mini-program reports the tap); ``bound=False`` for a member who never bound WeChat."""

    def make(org: Organisation, consent: int = default_consent, *, bound: bool = True, **fields: Any) -> BoundMember:
        member = make_member(org, **fields)
        user = f"wx-{prefix}-{next(_users)}-{uuid.uuid4().hex[:8]}"  # the emulator outlives the counter
        openid = emulator.openid(user)
        if not bound:
            return BoundMember(member, user, openid, "")
        db.session.add(WechatBinding(openid=openid, member=member, method=BindMethod.PHONE))
        for _ in range(consent):
            emulator.grant_subscription(user, [template_id])
        if consent:
            db.session.add(
                Subscription(
                    member_id=member.id,
                    template_id=template_id,
                    openid=openid,
                    remaining=consent,
                    last_choice=Choice.ACCEPT,
                    last_choice_at=utcnow(),
                )
            )
        token = _start_session(member, openid).token
        db.session.commit()
        return BoundMember(member, user, openid, token)

    return make


def as_admin(admin: AdminUser):
    """What the admin pages do for each request: the account is the actor of everything written."""
    return acting_as(Actor("admin", admin.id, admin.display_name))
