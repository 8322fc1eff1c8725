"""Refunds WeChat cannot complete: ABNORMAL (the money cannot reach the payer and is held at WeChat until
the finance admin settles it on the merchant platform) and CLOSED (nothing went back). Either way the
month stays paid, the refund says what became of it, and the finance admin finds it on the
reconciliation page until it is settled or asked again."""

from __future__ import annotations

import re

import sqlalchemy as sa

from server.auth.models import Role
from server.db import db
from server.dues.models import BillStatus
from server.dues.payment_models import DuesPayment, DuesRefund, PaymentStatus, RefundStatus
from server.dues.reconcile import reconcile
from server.dues.refunds import apply_refund
from server.timezone import local_today
from server.wechat.pay import Refund
from tests.dues.conftest import owe_months
from tests.dues.test_payments import bills_of, pay_three_months, snapshot


def _paid(make_payer, make_admin, tree, paying):
    payer = make_payer(tree["a1"], "alice")
    bills, order_no = pay_three_months(payer, paying)
    paying.deliver_due()
    make_admin("root", Role.SUPERADMIN)
    payment = db.session.scalar(sa.select(DuesPayment).where(DuesPayment.out_trade_no == order_no))
    return payer, bills, payment


def _refund_last_month(browser, payment, bills):
    return browser("root").post(
        f"/admin/dues/payments/{payment.id}/refund", {"bill_id": str(bills[-1].id), "reason": "本月已现金缴纳"}
    )


def _attention(browser) -> str:
    page = browser("root").get("/admin/dues/reconciliation").get_data(as_text=True)
    return page.split('id="refunds-attention"')[1].split("</section>")[0]


def _waiting_on_the_nav(admin) -> str | None:
    found = re.search(
        r'id="nav-reconciliation">对账<span class="nav-count"[^>]*>(\d+)<', admin.get("/admin/dues/bills").text
    )
    return found.group(1) if found else None


def test_an_abnormal_refund_keeps_the_month_paid_until_it_is_settled(
    rules, tree, make_payer, make_admin, browser, paying
):
    payer, bills, payment = _paid(make_payer, make_admin, tree, paying)
    paying.end_next_refund("ABNORMAL")
    assert _refund_last_month(browser, payment, bills).status_code == 302
    paying.deliver_due()
    (note,) = paying.notifications(payment.out_trade_no, "REFUND.ABNORMAL")
    assert note.acknowledged
    refund = db.session.scalars(sa.select(DuesRefund)).one()
    assert refund.status is RefundStatus.ABNORMAL and refund.succeeded_at is None
    assert [b.status for b in bills_of(payer.member)] == [BillStatus.PAID] * 3  # nothing went back
    payment = db.session.get(DuesPayment, payment.id)
    assert (payment.status, payment.refunded_fen) == (PaymentStatus.PAID, 0)
    assert payer.get("/api/dues/payments").get_json()["items"][0]["refunded_fen"] == 0
    attention = _attention(browser)
    assert "退款异常，待处理" in attention and refund.out_refund_no in attention and payer.member.name in attention
    shown = browser("root").get(f"/admin/dues/members/{payer.member.id}/payments").get_data(as_text=True)
    assert "退款异常" in shown
    assert _waiting_on_the_nav(browser("root")) == "1"  # every dues page says a refund waits

    before = snapshot()
    again = _refund_last_month(browser, payment, bills)  # the month is held for the abnormal refund
    assert again.status_code == 302 and snapshot() == before
    paying.deliver_duplicates(payment.out_trade_no, 2, event_type="REFUND.ABNORMAL")
    assert snapshot() == before

    paying.settle_abnormal_refund(refund.out_refund_no)  # settled on the merchant platform
    paying.deliver_due()
    db.session.expire_all()
    assert db.session.get(DuesRefund, refund.id).status is RefundStatus.SUCCESS
    assert [b.status for b in bills_of(payer.member)] == [BillStatus.PAID, BillStatus.PAID, BillStatus.UNPAID]
    payment = db.session.get(DuesPayment, payment.id)
    assert (payment.status, payment.refunded_fen) == (PaymentStatus.PARTLY_REFUNDED, bills[-1].amount_fen)
    assert refund.out_refund_no not in _attention(browser)
    assert _waiting_on_the_nav(browser("root")) is None
    settled = snapshot()
    late = paying.pay.refund_resource(paying.pay.refunds[refund.out_refund_no]) | {"refund_status": "ABNORMAL"}
    assert apply_refund(Refund.from_wechat(late)) is False  # a late word of the old state changes nothing
    db.session.commit()
    assert snapshot() == settled
    paying.advance(86_400)
    report = reconcile(local_today())
    assert report.differences == []


def test_a_closed_refund_keeps_the_month_paid_and_may_be_asked_again(
    rules, tree, make_payer, make_admin, browser, paying
):
    payer, bills, payment = _paid(make_payer, make_admin, tree, paying)
    paying.end_next_refund("CLOSED")
    _refund_last_month(browser, payment, bills)
    paying.deliver_due()
    assert paying.notifications(payment.out_trade_no, "REFUND.CLOSED")[0].acknowledged
    closed = db.session.scalars(sa.select(DuesRefund)).one()
    assert closed.status is RefundStatus.CLOSED
    assert [b.status for b in bills_of(payer.member)] == [BillStatus.PAID] * 3
    assert db.session.get(DuesPayment, payment.id).status is PaymentStatus.PAID
    attention = _attention(browser)
    assert "退款已关闭，未退出" in attention and closed.out_refund_no in attention

    _refund_last_month(browser, payment, bills)  # asked again: the month was let go
    paying.deliver_due()
    db.session.expire_all()
    second = db.session.scalars(sa.select(DuesRefund).where(DuesRefund.id != closed.id)).one()
    assert second.status is RefundStatus.SUCCESS
    assert [b.status for b in bills_of(payer.member)] == [BillStatus.PAID, BillStatus.PAID, BillStatus.UNPAID]
    assert "没有待处理的退款" in _attention(browser)
    paying.advance(86_400)
    assert reconcile(local_today()).differences == []  # the closed refund returned nothing, on both sides


def test_money_that_covered_nothing_is_refunded_once_even_when_wechat_holds_it(
    rules, tree, make_payer, make_admin, browser, paying
):
    payer = make_payer(tree["a1"], "alice")
    bills = owe_months(payer.member, 1)
    first = payer.post("/api/dues/orders", json={"bill_ids": [bills[0].id]}).get_json()
    prepay_id = first["payment"]["package"].removeprefix("prepay_id=")
    second = payer.post("/api/dues/orders", json={"bill_ids": [bills[0].id]}).get_json()  # closes the first
    assert paying.request_payment("alice", second["payment"])["errMsg"] == "requestPayment:ok"
    paying.confirm_payment(prepay_id, "alice", even_if_closed=True)
    paying.deliver_due()
    make_admin("root", Role.SUPERADMIN)
    unapplied = db.session.scalar(sa.select(DuesPayment).where(DuesPayment.out_trade_no == first["order_no"]))
    assert unapplied.status is PaymentStatus.UNAPPLIED
    paying.end_next_refund("ABNORMAL")
    browser("root").post(f"/admin/dues/payments/{unapplied.id}/refund", {"reason": "重复缴费"})
    paying.deliver_due()
    before = snapshot()
    page = browser("root").post(
        f"/admin/dues/payments/{unapplied.id}/refund", {"reason": "再退一次"}, follow_redirects=True
    )
    assert "正在退款" in page.get_data(as_text=True) and snapshot() == before
    (refund,) = db.session.scalars(sa.select(DuesRefund)).all()
    paying.settle_abnormal_refund(refund.out_refund_no)
    paying.deliver_due()
    db.session.expire_all()
    assert db.session.get(DuesPayment, unapplied.id).status is PaymentStatus.REFUNDED
    assert [b.status for b in bills_of(payer.member)] == [BillStatus.PAID]  # paid by the second order, still
