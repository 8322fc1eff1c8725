"""Admin side of dues payments: cash and transfer entries, reversals, WeChat refunds and reconciliation."""

from __future__ import annotations

import sqlalchemy as sa

from server.auth.models import Role
from server.db import db
from server.dues.models import BillStatus, DuesBill
from server.dues.payment_models import DuesPayment, DuesRefund, PaymentStatus, RefundStatus
from server.dues.reconcile import reconcile
from server.timezone import local_today
from tests.dues.conftest import owe_months
from tests.dues.test_payments import bills_of, pay_three_months, snapshot


def test_a_cash_payment_is_entered_with_its_receipt_and_reversed_by_a_new_entry(
    rules, tree, make_member, make_admin, browser
):
    member = make_member(tree["a1"])
    bills = owe_months(member, 2)
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    admin = browser("shuji")
    page = admin.post(
        f"/admin/dues/members/{member.id}/payments",
        {"bill_id": [str(b.id) for b in bills], "channel": "cash", "receipt_no": "No.0012", "extra_yuan": "1.50"},
    )
    assert page.status_code == 302
    payment = db.session.scalar(sa.select(DuesPayment))
    assert (payment.status, payment.receipt_no, payment.extra_fen) == (PaymentStatus.PAID, "No.0012", 150)
    assert payment.amount_fen == sum(b.amount_fen for b in bills) + 150
    assert {b.status for b in bills_of(member)} == {BillStatus.PAID}
    shown = admin.get(f"/admin/dues/members/{member.id}/payments").get_data(as_text=True)
    assert "No.0012" in shown and "冲正" in shown
    admin.post(f"/admin/dues/payments/{payment.id}/reverse", {"reason": "登记错了"})
    db.session.expire_all()
    assert db.session.get(DuesPayment, payment.id).status is PaymentStatus.REVERSED  # kept, not deleted
    (reversal,) = db.session.scalars(sa.select(DuesRefund)).all()
    assert reversal.amount_fen == payment.amount_fen and reversal.status is RefundStatus.SUCCESS
    assert {b.status for b in bills_of(member)} == {BillStatus.UNPAID}


def test_a_cash_entry_without_a_receipt_or_by_a_reader_writes_nothing(rules, tree, make_member, make_admin, browser):
    member = make_member(tree["a1"])
    bills = owe_months(member, 1)
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    make_admin("weiyuan", Role.COMMITTEE, tree["a1"])
    before = snapshot()
    form = {"bill_id": str(bills[0].id), "channel": "cash", "receipt_no": " "}
    browser("shuji").post(f"/admin/dues/members/{member.id}/payments", form)
    assert (
        browser("weiyuan").post(f"/admin/dues/members/{member.id}/payments", form | {"receipt_no": "1"}).status_code
        == 403
    )
    assert snapshot() == before


def test_a_refund_of_one_month_reopens_that_bill_once(rules, tree, make_payer, make_admin, browser, paying):
    payer = make_payer(tree["a1"], "alice")
    bills, order_no = pay_three_months(payer, paying)
    paying.deliver_due()
    make_admin("root", Role.SUPERADMIN)
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    payment = db.session.scalar(sa.select(DuesPayment).where(DuesPayment.out_trade_no == order_no))
    assert browser("shuji").post(f"/admin/dues/payments/{payment.id}/refund", {"reason": "多缴"}).status_code == 403
    browser("root").post(f"/admin/dues/payments/{payment.id}/refund", {"bill_id": str(bills[0].id), "reason": "多缴"})
    paying.deliver_due()
    paying.deliver_duplicates(order_no, 3, event_type="REFUND.SUCCESS")
    db.session.expire_all()
    payment = db.session.get(DuesPayment, payment.id)
    assert payment.status is PaymentStatus.PARTLY_REFUNDED and payment.refunded_fen == bills[0].amount_fen
    assert [b.status for b in bills_of(payer.member)] == [BillStatus.UNPAID, BillStatus.PAID, BillStatus.PAID]
    (item,) = payer.get("/api/dues/payments").get_json()["items"]
    assert item["refunded_fen"] == bills[0].amount_fen
    assert payer.get(f"/api/dues/orders/{order_no}").get_json()["status"] == "partly_refunded"


def test_reconciliation_agrees_then_finds_a_bill_altered_by_hand(rules, tree, make_payer, make_admin, browser, paying):
    payer = make_payer(tree["a1"], "alice")
    bills, order_no = pay_three_months(payer, paying)
    paying.deliver_due()
    paying.advance(86_400)  # WeChat's bill of a day is there the next day
    report = reconcile(local_today())
    db.session.commit()
    assert report.differences == [] and report.wechat_count == report.ours_count == 1
    db.session.execute(sa.update(DuesBill).where(DuesBill.id == bills[1].id).values(amount_fen=DuesBill.amount_fen + 1))
    db.session.commit()
    report = reconcile(local_today())
    db.session.commit()
    assert [(d["kind"], d["out_trade_no"]) for d in report.differences] == [("bill", order_no)]
    make_admin("root", Role.SUPERADMIN)
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    page = browser("root").get("/admin/dues/reconciliation").get_data(as_text=True)
    assert "1 处差异" in page and order_no in page
    assert browser("shuji").get("/admin/dues/reconciliation").status_code == 403


def test_reconciliation_reports_a_payment_wechat_took_that_we_never_applied(rules, tree, make_payer, paying):
    payer = make_payer(tree["a1"], "alice")
    _, order_no = pay_three_months(payer, paying)
    paying.hold_notifications()  # WeChat has the money; we never heard
    paying.advance(86_400)
    report = reconcile(local_today())
    assert [(d["kind"], d["out_trade_no"]) for d in report.differences] == [("missing_ours", order_no)]
