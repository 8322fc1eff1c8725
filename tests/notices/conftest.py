"""Notice fixtures: the notice's subscribe template in the tests' deployment, the accounts that send and review,
members bound to WeChat users of the session's emulator, and a helper that sends a notice as an admin would."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from server.auth.models import AdminUser, Role
from server.auth.passwords import hash_password
from server.db import db
from server.members.models import Member
from server.notices import audience, services
from server.notices.models import Notice
from server.orgs.models import Organisation
from server.tasks import run_pending_jobs
from tests.bound_members import (
    BoundMember,
    account_maker,
    add_template,
    as_admin,
    bound_member_maker,
)
from tests.conftest import PASSWORD

TEMPLATE = "tmpl_notice"
FIELDS = {"thing1": "notice_title", "thing2": "org_name", "time3": "sent_at"}
SEND = "/cgi-bin/message/subscribe/send"
_users = itertools.count()


@pytest.fixture(autouse=True)
def notice_template(app, emulator, monkeypatch):
    """The notice's template, in the emulator and in the deployment's mp_config, for these tests only; no quiet
    hours unless a test sets them."""
    return add_template(app, emulator, monkeypatch, "notice", TEMPLATE, "pages/notice/index", FIELDS)


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
    account = account_maker(password_hash)
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


@pytest.fixture
def make_reader(make_member, emulator) -> Callable[..., BoundMember]:
    """``make_reader(org, consent=3)``: a member of ``org`` bound to WeChat with ``consent`` notice pushes allowed
    (in the emulator and in our count); ``bound=False`` for a member who never bound WeChat."""

    return bound_member_maker(make_member, emulator, TEMPLATE, "notice", 3)


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


def pushes_per_reader(emulator, readers: list[BoundMember]) -> list[int]:
    return [len([m for m in emulator.messages(r.openid) if m.template_id == TEMPLATE]) for r in readers]
