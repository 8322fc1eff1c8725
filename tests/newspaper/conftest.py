"""Newspaper fixtures: the newspaper's subscribe template in the tests' deployment, the accounts that write and
review, members bound to WeChat users of the session's emulator (each test its own users), issues at each step."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from server.auth.models import AdminUser, Role
from server.auth.passwords import hash_password
from server.db import db
from server.newspaper import workflow
from server.newspaper.models import Narrowing, NewsIssue
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

TEMPLATE = "tmpl_news"
FIELDS = {"thing1": "issue_title", "time2": "published_at"}
_users = itertools.count()


@pytest.fixture(autouse=True)
def news_template(app, emulator, monkeypatch):
    """The tests' deployment has only the meeting template (other tests count on it): add the newspaper's,
    in the emulator and in the deployment's mp_config, for these tests only. No quiet hours unless a test
    sets them."""
    return add_template(app, emulator, monkeypatch, "newspaper_issue", TEMPLATE, "pages/news-issue/index", FIELDS)


@dataclass
class Staff:
    secretary: AdminUser  # 甲一支部's secretary: writes
    colleague: AdminUser  # another secretary account of 甲一支部: may review
    general: AdminUser  # 甲党总支's admin: may review 甲一's issues, publish to 甲一 and 甲二
    sibling: AdminUser  # 甲二支部's secretary: sees nothing of 甲一
    reader: AdminUser  # 甲一's read-only 支部委员
    root: AdminUser  # the superadmin


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def staff(tree, password_hash) -> Staff:
    """The accounts, straight into the table with one password hash (hashing is slow on purpose)."""

    account = account_maker(password_hash)
    people = Staff(
        secretary=account("shuji", Role.SECRETARY, tree["a1"], "王书记"),
        colleague=account("fushuji", Role.SECRETARY, tree["a1"], "李副书记"),
        general=account("zongzhi", Role.ORG_ADMIN, tree["general_a"], "总支书记"),
        sibling=account("jiaer", Role.SECRETARY, tree["a2"]),
        reader=account("weiyuan", Role.COMMITTEE, tree["a1"]),
        root=account("root", Role.SUPERADMIN, None),
    )
    db.session.commit()
    return people


@pytest.fixture
def make_reader(make_member, emulator) -> Callable[..., BoundMember]:
    """``make_reader(org, consent=1)``: a member of ``org`` bound to WeChat; ``consent`` newspaper pushes allowed
    (in the emulator, WeChat's truth, and in our count, as the mini-program reports the tap); ``bound=False``
    for a member who never bound WeChat."""

    return bound_member_maker(make_member, emulator, TEMPLATE, "news", 1)


BODY = "<p>国庆节前，支部组织党员开展安全大检查。</p><p>检查覆盖全部工区。</p>"


def draft(
    author: AdminUser,
    org: Organisation,
    audience: list[tuple[Organisation, Narrowing]] | None = None,
    *,
    title: str = "安全生产专刊",
    articles: int = 1,
    urgent: bool = False,
) -> NewsIssue:
    with as_admin(author):
        issue = workflow.create_issue(author, org, title, urgent=urgent)
        for n in range(articles):
            workflow.add_article(
                author, issue, title=f"第{n + 1}篇：节前安全检查", summary="检查覆盖全部工区", body_html=BODY
            )
        targets = [(o.id, narrowing) for o, narrowing in (audience or [(org, Narrowing.ALL)])]
        workflow.set_audience(author, issue, targets)
        db.session.commit()
    return issue


def approved(author: AdminUser, reviewer: AdminUser, org: Organisation, audience=None, **kw: Any) -> NewsIssue:
    issue = draft(author, org, audience, **kw)
    with as_admin(author):
        workflow.submit(author, issue)
    with as_admin(reviewer):
        workflow.approve(reviewer, issue)
    db.session.commit()
    return issue


def published(author: AdminUser, reviewer: AdminUser, org: Organisation, audience=None, *, run: bool = True, **kw: Any):
    """An issue approved and published now; with ``run`` its delivery and push jobs have run."""
    issue = approved(author, reviewer, org, audience, **kw)
    with as_admin(reviewer):
        workflow.publish(reviewer, issue)
        db.session.commit()
    if run:
        run_pending_jobs()
    return issue


SEND = "/cgi-bin/message/subscribe/send"


def run_scheduled_jobs() -> int:
    """Run the jobs Huey holds for later (retries after a delay, pushes after the quiet hours) as if their time had
    come; then whatever they queued."""
    from datetime import datetime

    from server.tasks import huey

    later = datetime(2100, 1, 1)  # naive UTC, as Huey keeps its schedule
    tasks = huey.read_schedule(later)
    for task in tasks:
        huey.execute(task, timestamp=later)
    return len(tasks) + run_pending_jobs()


def messages_per_reader(emulator, readers: list[BoundMember]) -> list[int]:
    return [len([m for m in emulator.messages(r.openid) if m.template_id == TEMPLATE]) for r in readers]
