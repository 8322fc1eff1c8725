from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from server.auth.member_services import _start_session
from server.db import db
from server.dues.bills import generate_bills
from server.dues.models import DuesBill
from server.dues.months import add_months, current_month
from server.dues.rules import ensure_rules_2008
from server.members.models import Member
from server.orgs.models import Organisation
from server.wechat.emulator.testing import flask_transport, running_emulator


@pytest.fixture
def rules(app):
    """The 2008 rules (the migration seeds them; the tests empty every table)."""
    rule = ensure_rules_2008()
    db.session.commit()
    return rule


# -- paying: our adapter aimed at the session's emulator, its notifications straight into the app ---------


@dataclass
class Payer:
    """A member with a mini-program session whose WeChat user is ``user`` on the emulator."""

    member: Member
    user: str
    token: str
    client: FlaskClient

    def get(self, path: str):
        return self.client.get(path, headers={"Authorization": f"Bearer {self.token}"})

    def post(self, path: str, json: Any = None):
        return self.client.post(path, json=json, headers={"Authorization": f"Bearer {self.token}"})


@pytest.fixture
def paying(app, monkeypatch):
    """A fresh WeChat emulator (its trade bill lists only this test's payments) as the app's WeChat Pay,
    on its clock, its notifications delivered straight into the app."""
    with running_emulator("wx_test_appid", "test_secret") as emulator:
        monkeypatch.setitem(app.config, "WECHATPAY_API_BASE", emulator.base_url)
        monkeypatch.setitem(app.config, "WECHATPAY_CLOCK", emulator.state.now)
        emulator.use_transport(flask_transport(app))
        yield emulator


@pytest.fixture
def make_payer(app, client, paying, make_member) -> Callable[..., Payer]:
    def make(org: Organisation, user: str, **fields: Any) -> Payer:
        member = make_member(org, **fields)
        token = _start_session(member, paying.openid(user)).token
        db.session.commit()
        return Payer(member, user, token, app.test_client())

    return make


def owe_months(member: Member, count: int) -> list[DuesBill]:
    """Bills of this month and the ``count - 1`` before it, oldest first."""
    this_month = current_month()
    for back in range(count):
        generate_bills(add_months(this_month, -back), member_ids=[member.id])
    db.session.commit()
    return list(db.session.scalars(sa.select(DuesBill).where(DuesBill.member_id == member.id).order_by(DuesBill.month)))


def payment_rows(member: Member, *ids: int) -> None:
    """Cash payments of ``member`` with exactly these ids, for tests that pay bills by a payment id
    (``dues_bills.paid_by_payment_id`` is a foreign key to the payments)."""
    from server.dues.payment_models import Channel, DuesPayment, PayerKind, PaymentStatus

    for payment_id in ids:
        db.session.add(
            DuesPayment(
                id=payment_id,
                out_trade_no=f"TEST{payment_id:010d}",
                member_id=member.id,
                org_id=member.org_id,
                payer_kind=PayerKind.ADMIN,
                payer_name="测试",
                channel=Channel.CASH,
                status=PaymentStatus.PAID,
                amount_fen=1,
                extra_fen=0,
                receipt_no=f"R{payment_id}",
            )
        )
    db.session.commit()
