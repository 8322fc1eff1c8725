"""Notice fixtures: the notice's subscribe template in the tests' deployment, the accounts that send and review,
members bound to WeChat users of the session's emulator, and a helper that sends a notice as an admin would."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from server.audit.context import Actor, acting_as
from server.auth.member_services import _start_session
from server.auth.models import AdminUser, BindMethod, Role, WechatBinding
from server.auth.passwords import hash_password
from server.db import db, utcnow
from server.members.models import Member
from server.notices import audience, services
from server.notices.models import Notice
from server.orgs.models import Organisation
from server.subscriptions.models import Choice, Subscription
from server.tasks import run_pending_jobs
from server.wechat import get_wechat
from tests.conftest import PASSWORD

TEMPLATE = "tmpl_notice"
FIELDS = {"thing1": "notice_title", "thing2": "org_name", "time3": "sent_at"}
SEND = "/cgi-bin/message/subscribe/send"
_users = itertools.count()


@pytest.fixture(autouse=True)
def notice_template(app, emulator, monkeypatch):
    """The notice's template, in the emulator and in the deployment's mp_config, for these tests only; no quiet
    hours unless a test sets them."""
    monkeypatch.setitem(emulator.state.templates, TEMPLATE, list(FIELDS))
    templates = app.extensions["mp_config"]["subscribe_templates"]
    tpl = {"template_id": TEMPLATE, "page": "pages/notice/index", "fields": FIELDS, "fields_": FIELDS}
    monkeypatch.setitem(templates, "notice", tpl)
    monkeypatch.setitem(app.config, "PUSH_QUIET_HOURS", "")
    get_wechat().client.fetch_access_token()
    return tpl


@dataclass
class Staff:
    secretary: AdminUser  # 甲一支部's secretary
    colleague: AdminUser  # another secretary account of 甲一
    general: AdminUser  # 甲党总支's admin
    committee: AdminUser  # the committee's admin (sets the rules, reviews)
    sibling: AdminUser  # 甲二支部's secretary: sees nothing of 甲一
    reader: AdminUser  # 甲一's read-only 支部委员
    root: AdminUser


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def staff(tree, password_hash) -> Staff:
    def account(username: str, role: Role, org: Organisation | None) -> AdminUser:
        admin = AdminUser(username=username, password_hash=password_hash, display_name=username, role=role, org=org)
        db.session.add(admin)
        return admin

    people = Staff(
        secretary=account("shuji", Role.SECRETARY, tree["a1"]),
        colleague=account("fushuji", Role.SECRETARY, tree["a1"]),
        general=account("zongzhi", Role.ORG_ADMIN, tree["general_a"]),
        committee=account("dangwei", Role.ORG_ADMIN, tree["committee"]),
        sibling=account("jiaer", Role.SECRETARY, tree["a2"]),
        reader=account("weiyuan", Role.COMMITTEE, tree["a1"]),
        root=account("root", Role.SUPERADMIN, None),
    )
    db.session.commit()
    return people


@dataclass
class Reader:
    member: Member
    user: str
    openid: str
    token: str


@pytest.fixture
def make_reader(make_member, emulator) -> Callable[..., Reader]:
    """``make_reader(org, consent=3)``: a member of ``org`` bound to WeChat with ``consent`` notice pushes allowed
    (in the emulator and in our count); ``bound=False`` for a member who never bound WeChat."""

    def make(org: Organisation, consent: int = 3, *, bound: bool = True, **fields: Any) -> Reader:
        member = make_member(org, **fields)
        user = f"wx-notice-{next(_users)}-{uuid.uuid4().hex[:8]}"
        openid = emulator.openid(user)
        if not bound:
            return Reader(member, user, openid, "")
        db.session.add(WechatBinding(openid=openid, member=member, method=BindMethod.PHONE))
        for _ in range(consent):
            emulator.grant_subscription(user, [TEMPLATE])
        if consent:
            db.session.add(
                Subscription(
                    member_id=member.id,
                    template_id=TEMPLATE,
                    openid=openid,
                    remaining=consent,
                    last_choice=Choice.ACCEPT,
                    last_choice_at=utcnow(),
                )
            )
        token = _start_session(member, openid).token
        db.session.commit()
        return Reader(member, user, openid, token)

    return make


def as_admin(admin: AdminUser):
    return acting_as(Actor("admin", admin.id, admin.display_name))


def send(
    admin: AdminUser,
    sender: Organisation,
    orgs: list[Organisation] | None = None,
    members: list[Member] | None = None,
    *,
    run: bool = True,
    title: str = "明天下午三点召开支部党员大会",
    **draft: Any,
) -> Notice:
    """A notice composed as the admin page does; with ``run`` its delivery and push jobs have run."""
    with as_admin(admin):
        targets = audience.check(
            admin, sender, [o.id for o in (orgs if orgs is not None else [sender])], [m.id for m in members or []]
        )
        notice = services.compose(admin, sender, services.Draft(title=title, body="请准时参加。", **draft), targets)
        db.session.commit()
    if run:
        run_pending_jobs()
    return notice


def pushes_per_reader(emulator, readers: list[Reader]) -> list[int]:
    return [len([m for m in emulator.messages(r.openid) if m.template_id == TEMPLATE]) for r in readers]
