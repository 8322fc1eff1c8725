"""Mailbox fixtures: the reply's subscribe template in the tests' deployment, the readers' accounts, and members
bound to WeChat users of the session's emulator with consent to be told of a reply."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from server.auth.models import AdminUser, Role
from server.auth.passwords import hash_password
from server.db import db
from tests.bound_members import BoundMember, account_maker, add_template, bound_member_maker
from tests.conftest import PASSWORD

TEMPLATE = "tmpl_letter_reply"
FIELDS = {"thing1": "subject", "time2": "replied_at", "thing3": "org_name"}
_users = itertools.count()


@pytest.fixture(autouse=True)
def letter_template(app, emulator, monkeypatch):
    """The reply's template in the emulator and the deployment's mp_config, for these tests only; no quiet hours."""
    return add_template(app, emulator, monkeypatch, "letter_reply", TEMPLATE, "pages/letter/index", FIELDS)


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
    account = account_maker(password_hash)
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


@pytest.fixture
def make_writer(make_member, emulator) -> Callable[..., BoundMember]:
    """``make_writer(org, consent=1)``: a member bound to WeChat who allowed ``consent`` reply messages."""

    return bound_member_maker(make_member, emulator, TEMPLATE, "mail", 1)


def write(client, writer: BoundMember, **fields: Any):
    body = {"addressee": "secretary", "subject": "食堂饭菜", "body": "工地食堂的饭菜太咸，请支部反映。"} | fields
    return client.post("/api/letters", json=body, headers=writer.headers)
