"""Mailbox fixtures: the reply's subscribe template in the tests' deployment, the readers' accounts, and members
bound to WeChat users of the session's emulator with consent to be told of a reply."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from server.auth.member_services import _start_session
from server.auth.models import AdminUser, BindMethod, Role, WechatBinding
from server.auth.passwords import hash_password
from server.db import db, utcnow
from server.members.models import Member
from server.orgs.models import Organisation
from server.subscriptions.models import Choice, Subscription
from server.wechat import get_wechat
from tests.conftest import PASSWORD

TEMPLATE = "tmpl_letter_reply"
FIELDS = {"thing1": "subject", "time2": "replied_at", "thing3": "org_name"}
_users = itertools.count()


@pytest.fixture(autouse=True)
def letter_template(app, emulator, monkeypatch):
    """The reply's template in the emulator and the deployment's mp_config, for these tests only; no quiet hours."""
    monkeypatch.setitem(emulator.state.templates, TEMPLATE, list(FIELDS))
    templates = app.extensions["mp_config"]["subscribe_templates"]
    tpl = {"template_id": TEMPLATE, "page": "pages/letter/index", "fields": FIELDS, "fields_": FIELDS}
    monkeypatch.setitem(templates, "letter_reply", tpl)
    monkeypatch.setitem(app.config, "PUSH_QUIET_HOURS", "")
    get_wechat().client.fetch_access_token()
    return tpl


@dataclass
class Staff:
    secretary: AdminUser  # 甲一支部's secretary
    sibling: AdminUser  # 甲二支部's secretary: sees nothing of 甲一
    general: AdminUser  # 甲党总支's admin: 甲一 and 甲二, not the committee's own mailbox
    committee: AdminUser  # 测试党委's admin: reads the 党委信箱
    reader: AdminUser  # 甲一's read-only 支部委员
    root: AdminUser  # the superadmin


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def staff(tree, password_hash) -> Staff:
    def account(username: str, role: Role, org: Organisation | None, name: str | None = None) -> AdminUser:
        admin = AdminUser(
            username=username, password_hash=password_hash, display_name=name or username, role=role, org=org
        )
        db.session.add(admin)
        return admin

    people = Staff(
        secretary=account("shuji", Role.SECRETARY, tree["a1"], "王书记"),
        sibling=account("jiaer", Role.SECRETARY, tree["a2"]),
        general=account("zongzhi", Role.ORG_ADMIN, tree["general_a"], "总支书记"),
        committee=account("dangwei", Role.ORG_ADMIN, tree["committee"], "党委办公室"),
        reader=account("weiyuan", Role.COMMITTEE, tree["a1"]),
        root=account("root", Role.SUPERADMIN, None),
    )
    db.session.commit()
    return people


@dataclass
class Writer:
    """A member bound to a fresh WeChat user of the emulator, with a mini-program session."""

    member: Member
    user: str
    openid: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_writer(make_member, emulator) -> Callable[..., Writer]:
    """``make_writer(org, consent=1)``: a member bound to WeChat who allowed ``consent`` reply messages."""

    def make(org: Organisation, consent: int = 1, **fields: Any) -> Writer:
        member = make_member(org, **fields)
        user = f"wx-mail-{next(_users)}-{uuid.uuid4().hex[:8]}"
        openid = emulator.openid(user)
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
        return Writer(member, user, openid, token)

    return make


def write(client, writer: Writer, **fields: Any):
    body = {"addressee": "secretary", "subject": "食堂饭菜", "body": "工地食堂的饭菜太咸，请支部反映。"} | fields
    return client.post("/api/letters", json=body, headers=writer.headers)
