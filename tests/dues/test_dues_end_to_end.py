"""Dues end to end on the embedded default, as a new user would meet it: the mini-program's own client
pays three months in one tap; WeChat's notification arrives; the bills are paid and the branch's ledger
shows the money; a refund returns one month (and the ledger with it); the day's reconciliation finds no
difference, and one after a bill is altered in the database by hand."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import sqlalchemy as sa

from server.auth.models import Role
from server.config import PROJECT_ROOT
from server.db import db
from server.dues.models import BillStatus, DuesBill
from server.dues.payment_models import DuesPayment, PaymentStatus
from server.dues.reconcile import reconcile
from server.money import money_text
from server.timezone import local_today
from server.wechat.emulator.testing import flask_transport, running_emulator
from tests.dues.conftest import owe_months

JEST = PROJECT_ROOT / "node_modules" / ".bin" / "jest"


def _wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_member_pays_three_months_then_one_is_refunded_and_the_day_reconciles(
    app, live_server, emulator, rules, tree, make_member, make_admin, browser, monkeypatch
):
    payer = make_member(tree["a1"], "赵缴费", phone="13600003333")
    bills = owe_months(payer, 3)
    with running_emulator("wx_test_appid", "test_secret", deliver_notifications=True) as pay:
        monkeypatch.setitem(app.config, "WECHATPAY_API_BASE", pay.base_url)
        monkeypatch.setitem(app.config, "WECHATPAY_CLOCK", pay.state.now)
        pay.use_transport(flask_transport(app))  # WeChat's notifications reach the notify URL's handler
        env = os.environ | {
            "CONTRACT_SERVER": live_server,
            "CONTRACT_EMULATOR": emulator.base_url,
            "CONTRACT_PAY_EMULATOR": pay.base_url,
            "CONTRACT_MEMBERS": json.dumps({"payer": {"user": "zhao", "phone": payer.phone, "name": payer.name}}),
        }
        result = subprocess.run(
            [str(JEST), "--ci", "--runTestsByPath", str(Path("miniprogram/tests/dues.contract.test.js"))],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "1 passed" in result.stderr

        payment = db.session.scalars(sa.select(DuesPayment)).one()
        _wait_for(lambda: pay.notifications(payment.out_trade_no)[0].acknowledged)  # the notification arrived
        db.session.expire_all()
        assert payment.status is PaymentStatus.PAID
        assert [b.paid_by_payment_id for b in db.session.scalars(sa.select(DuesBill).order_by(DuesBill.month))] == [
            payment.id
        ] * 3

        make_admin("root", Role.SUPERADMIN)
        admin = browser("root")
        three = sum(bill.amount_fen for bill in bills)
        assert _ledger(admin, tree["a1"]) == (money_text(three), money_text(three), f"微信支付：{money_text(three)}")
        refund = admin.post(
            f"/admin/dues/payments/{payment.id}/refund", {"bill_id": str(bills[-1].id), "reason": "本月已现金缴纳"}
        )
        assert refund.status_code == 302
        _wait_for(lambda: bool(pay.notifications(payment.out_trade_no, "REFUND.SUCCESS")))
        # WeChat may notify before the admin's request has committed the refund: that delivery is refused
        # and WeChat's retry schedule brings it again (its clock moved on for that).
        pay.advance(30)
        _wait_for(lambda: pay.notifications(payment.out_trade_no, "REFUND.SUCCESS")[0].acknowledged)
        db.session.expire_all()
        assert payment.status is PaymentStatus.PARTLY_REFUNDED
        statuses = db.session.scalars(sa.select(DuesBill.status).order_by(DuesBill.month)).all()
        assert statuses == [BillStatus.PAID, BillStatus.PAID, BillStatus.UNPAID]
        two = three - bills[-1].amount_fen
        assert _ledger(admin, tree["a1"]) == (money_text(two), money_text(two), f"微信支付：{money_text(two)}")

        pay.advance(86_400)  # the day's trade bill is there the next day
        assert reconcile(local_today()).differences == []
        db.session.execute(sa.update(DuesBill).where(DuesBill.id == bills[0].id).values(amount_fen=1))
        db.session.commit()
        found = reconcile(local_today()).differences
        db.session.commit()
        assert [(d["kind"], d["out_trade_no"]) for d in found] == [("bill", payment.out_trade_no)]


def _ledger(admin, branch) -> tuple[str, str, str]:
    """The branch's ledger as its page shows it: paid, collected, and collected by channel."""
    page = admin.get(f"/admin/dues/ledger?org_id={branch.id}").get_data(as_text=True)

    def text(element_id: str) -> str:
        found = re.search(rf'id="{element_id}">(.*?)</(?:b|td)>', page, re.S).group(1)
        return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", found))

    return text("ledger-paid"), text("ledger-collected"), text("ledger-channels")
