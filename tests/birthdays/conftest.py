"""Political birthday fixtures: the greeting's subscribe template in the tests' deployment, members bound to
WeChat users of the session's emulator with consent for it, and a clock set to a Beijing date."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.auth.member_services import _start_session
from server.auth.models import BindMethod, WechatBinding
from server.db import db, utcnow
from server.members.models import Member
from server.orgs.models import Organisation
from server.subscriptions.models import Choice, Subscription
from server.wechat import get_wechat

TEMPLATE = "tmpl_birthday"
FIELDS = {"thing1": "title", "date2": "join_date", "thing3": "wish"}
_users = itertools.count()


@pytest.fixture(autouse=True)
def birthday_template(app, emulator, monkeypatch):
    """The greeting's template, in the emulator and in the deployment's mp_config, for these tests only; no
    quiet hours unless a test sets them."""
    monkeypatch.setitem(emulator.state.templates, TEMPLATE, list(FIELDS))
    templates = app.extensions["mp_config"]["subscribe_templates"]
    tpl = {"template_id": TEMPLATE, "page": "pages/birthday-card/index", "fields": FIELDS, "fields_": FIELDS}
    monkeypatch.setitem(templates, "political_birthday", tpl)
    monkeypatch.setitem(app.config, "PUSH_QUIET_HOURS", "")
    get_wechat().client.fetch_access_token()  # a token this emulator issued (see tests/newspaper/conftest.py)
    return tpl


def beijing(day: date, hour: int = 9) -> datetime:
    """The UTC moment of ``hour`` o'clock on ``day`` in Beijing, as the job's clock."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


@dataclass
class Celebrant:
    member: Member
    openid: str
    token: str


@pytest.fixture
def make_celebrant(make_member, emulator) -> Callable[..., Celebrant]:
    """``make_celebrant(org, join_date=…)``: a member bound to WeChat who allowed one greeting message."""

    def make(org: Organisation, **fields: Any) -> Celebrant:
        member = make_member(org, **fields)
        user = f"wx-bday-{next(_users)}-{uuid.uuid4().hex[:8]}"
        openid = emulator.openid(user)
        db.session.add(WechatBinding(openid=openid, member=member, method=BindMethod.PHONE))
        emulator.grant_subscription(user, [TEMPLATE])
        db.session.add(
            Subscription(
                member_id=member.id,
                template_id=TEMPLATE,
                openid=openid,
                remaining=1,
                last_choice=Choice.ACCEPT,
                last_choice_at=utcnow(),
            )
        )
        token = _start_session(member, openid).token
        db.session.commit()
        return Celebrant(member, openid, token)

    return make
