"""Paying dues with WeChat Pay against the emulator: ordering, the notification applied once whatever
arrives, refusals that change nothing, querying, expiry, 代缴, refunds, offline entries."""

from __future__ import annotations

from urllib.parse import urlencode

import sqlalchemy as sa

from server.db import db
from server.dues.models import BillStatus, DuesBill
from server.dues.payment_models import DuesPayment, DuesRefund, PaymentStatus, PayNotification
from tests.dues.conftest import owe_months

TABLES = (DuesBill, DuesPayment, DuesRefund, PayNotification)


def snapshot() -> dict:
    """Every row of the money tables, to prove a refusal wrote nothing."""
    db.session.expire_all()
    return {
        model.__tablename__: sorted(
            tuple(str(v) for v in row) for row in db.session.execute(sa.select(model.__table__)).all()
        )
        for model in TABLES
    }


def pay_three_months(payer, emulator):
    bills = owe_months(payer.member, 3)
    placed = payer.post("/api/dues/orders", json={"bill_ids": [b.id for b in bills]})
    assert placed.status_code == 201, placed.get_json()
    body = placed.get_json()
    assert body["amount_fen"] == sum(b.amount_fen for b in bills)
    assert emulator.request_payment(payer.user, body["payment"])["errMsg"] == "requestPayment:ok"
    return bills, body["order_no"]


def bills_of(member) -> list[DuesBill]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(DuesBill).where(DuesBill.member_id == member.id).order_by(DuesBill.month)))


def test_my_dues_lists_unpaid_bills_oldest_first(rules, tree, make_payer):
    payer = make_payer(tree["a1"], "alice")
    bills = owe_months(payer.member, 3)
    body = payer.get("/api/dues/me").get_json()
    assert [b["id"] for b in body["bills"]] == [b.id for b in bills]
    assert body["owed_fen"] == sum(b.amount_fen for b in bills) > 0
    assert all(b["payable"] and b["reason"] is None for b in body["bills"])
    assert body["ahead"] == [] and body["voluntary_allowed"] is True and body["paid_up_to"] is None


def test_three_months_paid_in_one_tap_once_whatever_the_deliveries(rules, tree, make_payer, paying):
    payer = make_payer(tree["a1"], "alice")
    bills, order_no = pay_three_months(payer, paying)
    assert payer.get(f"/api/dues/orders/{order_no}").get_json()["status"] in ("pending", "paid")
    paying.deliver_due()
    assert paying.notifications(order_no)[0].acknowledged
    paid = bills_of(payer.member)
    payment = db.session.scalar(sa.select(DuesPayment).where(DuesPayment.out_trade_no == order_no))
    assert payment.status is PaymentStatus.PAID and payment.transaction_id
    assert {b.status for b in paid} == {BillStatus.PAID} and {b.paid_by_payment_id for b in paid} == {payment.id}
    before = snapshot()
    attempts = paying.deliver_duplicates(order_no, 6, concurrent=True)
    assert all(a.acknowledged for a in attempts)
    (first,) = [a for a in paying.notifications(order_no)[0].attempts if a.kind == "scheduled"]
    assert paying.replay(first).acknowledged
    assert snapshot() == before
    order = payer.get(f"/api/dues/orders/{order_no}").get_json()
    assert order["status"] == "paid" and order["months"] == [f"{b.month:%Y-%m}" for b in bills]
    me = payer.get("/api/dues/me").get_json()
    assert me["bills"] == [] and me["owed_fen"] == 0 and me["paid_up_to"] == f"{bills[-1].month:%Y-%m}"


def test_tampered_notifications_are_refused_and_change_nothing(rules, tree, make_payer, paying):
    payer = make_payer(tree["a1"], "alice")
    _, order_no = pay_three_months(payer, paying)
    paying.hold_notifications()
    before = snapshot()
    for how in ("signature", "forged_key", "serial", "stale", "future", "ciphertext", "no_signature_type"):
        attempt = paying.send_tampered(order_no, how)
        assert attempt.status == 401, (how, attempt.status)
        assert snapshot() == before, how


def test_a_notification_that_is_not_our_order_changes_nothing(rules, tree, make_payer, paying):
    payer = make_payer(tree["a1"], "alice")
    bills, order_no = pay_three_months(payer, paying)
    paying.hold_notifications()
    before = snapshot()
    total = sum(b.amount_fen for b in bills)
    cases = [
        {"amount": {"total": total - 1, "payer_total": total - 1, "currency": "CNY", "payer_currency": "CNY"}},
        {"mchid": "1900000999"},
        {"appid": "wx_other"},
        {"out_trade_no": "D20260101000000FFFFFFFFFF"},
    ]
    for changes in cases:
        attempt = paying.pay.send_altered(paying.pay.latest(order_no), **changes)
        assert attempt.status == 400, (changes, attempt.status, attempt.answer)
        assert snapshot() == before, changes


def test_the_order_page_asks_wechat_when_no_notification_came(rules, tree, make_payer, paying):
    payer = make_payer(tree["a1"], "alice")
    _, order_no = pay_three_months(payer, paying)
    paying.hold_notifications()
    order = payer.get(f"/api/dues/orders/{order_no}").get_json()
    assert order["status"] == "paid" and order["paid_at"]
    assert {b.status for b in bills_of(payer.member)} == {BillStatus.PAID}
    calls = paying.calls(f"/v3/pay/transactions/out-trade-no/{order_no}")
    payer.get(f"/api/dues/orders/{order_no}")
    assert paying.calls(f"/v3/pay/transactions/out-trade-no/{order_no}") == calls  # paid: no more queries
    paying.hold_notifications(False)
    before = snapshot()
    paying.deliver_due()
    assert paying.notifications(order_no)[0].acknowledged  # the late notification changes nothing
    assert snapshot()["dues_bills"] == before["dues_bills"]


def test_someone_elses_bills_are_refused_with_nothing_written(rules, tree, make_payer, paying):
    alice = make_payer(tree["a1"], "alice")
    bob = make_payer(tree["a1"], "bob")
    bills = owe_months(bob.member, 2)
    before = snapshot()
    answer = alice.post("/api/dues/orders", json={"bill_ids": [b.id for b in bills]})
    assert answer.status_code == 404
    forged = alice.post("/api/dues/orders", json={"bill_ids": [bills[0].id], "for_token": "forged.token"})
    assert forged.status_code == 400 and forged.get_json()["error"]["code"] == "proxy_token_invalid"
    assert snapshot() == before


def test_a_relative_pays_with_a_proxy_token_and_is_recorded_as_payer(rules, tree, make_payer, paying):
    mother = make_payer(tree["a1"], "mother")
    son = make_payer(tree["a2"], "son", name="王小明")
    bills = owe_months(mother.member, 2)
    token = mother.post("/api/dues/proxy-tokens").get_json()
    assert token["member_name"] == mother.member.name
    theirs = son.get("/api/dues/me?" + urlencode({"for_token": token["token"]})).get_json()
    assert theirs["member_name"] == mother.member.name  # the son sees whose dues he pays, and what
    assert [bill["id"] for bill in theirs["bills"]] == [b.id for b in bills]
    assert son.get("/api/dues/me").get_json()["member_name"] == "王小明"
    forged = son.get("/api/dues/me?" + urlencode({"for_token": token["token"] + "x"}))
    assert forged.status_code == 400 and forged.get_json()["error"]["code"] == "proxy_token_invalid"
    placed = son.post("/api/dues/orders", json={"bill_ids": [b.id for b in bills], "for_token": token["token"]})
    assert placed.status_code == 201, placed.get_json()
    assert paying.request_payment("son", placed.get_json()["payment"])["errMsg"] == "requestPayment:ok"
    paying.deliver_due()
    assert {b.status for b in bills_of(mother.member)} == {BillStatus.PAID}
    (item,) = mother.get("/api/dues/payments").get_json()["items"]
    assert item["payer_name"] == "王小明" and item["months"] == [f"{b.month:%Y-%m}" for b in bills]
    receipt = mother.get(f"/api/dues/payments/{item['id']}/receipt")
    assert receipt.status_code == 200 and receipt.get_json()["payer_name"] == "王小明"
    assert son.get(f"/api/dues/payments/{item['id']}/receipt").status_code == 404  # the member's own only


def test_a_new_order_for_the_same_bills_closes_the_older_one(rules, tree, make_payer, paying):
    payer = make_payer(tree["a1"], "alice")
    bills = owe_months(payer.member, 2)
    first = payer.post("/api/dues/orders", json={"bill_ids": [b.id for b in bills]}).get_json()
    second = payer.post("/api/dues/orders", json={"bill_ids": [bills[0].id]}).get_json()
    statuses = dict(db.session.execute(sa.select(DuesPayment.out_trade_no, DuesPayment.status)).all())
    assert statuses == {first["order_no"]: PaymentStatus.CLOSED, second["order_no"]: PaymentStatus.PENDING}
    assert paying.request_payment("alice", first["payment"])["errMsg"] != "requestPayment:ok"  # closed at WeChat


def test_an_unpaid_order_past_expiry_is_closed_and_a_late_payment_still_counts(rules, tree, make_payer, paying):
    from datetime import timedelta

    from server.db import utcnow
    from server.dues.payments import close_expired

    payer = make_payer(tree["a1"], "alice")
    bills = owe_months(payer.member, 2)
    unpaid = payer.post("/api/dues/orders", json={"bill_ids": [bills[0].id]}).get_json()
    landed = payer.post("/api/dues/orders", json={"bill_ids": [bills[1].id]}).get_json()
    assert paying.request_payment("alice", landed["payment"])["errMsg"] == "requestPayment:ok"
    paying.hold_notifications()  # the payment landed, its notification did not
    assert close_expired(utcnow() + timedelta(hours=1)) == 2
    db.session.commit()
    statuses = dict(db.session.execute(sa.select(DuesPayment.out_trade_no, DuesPayment.status)).all())
    assert statuses == {unpaid["order_no"]: PaymentStatus.CLOSED, landed["order_no"]: PaymentStatus.PAID}
    assert [b.status for b in bills_of(payer.member)] == [BillStatus.UNPAID, BillStatus.PAID]


def test_a_payment_for_a_closed_order_whose_bills_were_paid_otherwise_is_flagged(rules, tree, make_payer, paying):
    payer = make_payer(tree["a1"], "alice")
    bills = owe_months(payer.member, 1)
    first = payer.post("/api/dues/orders", json={"bill_ids": [bills[0].id]}).get_json()
    prepay_id = first["payment"]["package"].removeprefix("prepay_id=")
    second = payer.post("/api/dues/orders", json={"bill_ids": [bills[0].id]}).get_json()  # closes the first
    assert paying.request_payment("alice", second["payment"])["errMsg"] == "requestPayment:ok"
    paying.confirm_payment(prepay_id, "alice", even_if_closed=True)  # WeChat took the first one all the same
    paying.deliver_due()
    db.session.expire_all()
    statuses = dict(db.session.execute(sa.select(DuesPayment.out_trade_no, DuesPayment.status)).all())
    assert statuses == {first["order_no"]: PaymentStatus.UNAPPLIED, second["order_no"]: PaymentStatus.PAID}
    (bill,) = bills_of(payer.member)
    paid_by = db.session.scalar(sa.select(DuesPayment.id).where(DuesPayment.out_trade_no == second["order_no"]))
    assert bill.paid_by_payment_id == paid_by  # paid once, by the second


def test_a_payment_for_months_partly_paid_in_cash_meanwhile_covers_none_of_them(rules, tree, make_payer, paying):
    """The member paid two months on the phone; before WeChat's notification came, the secretary took the
    first month in cash. The WeChat money is flagged for a refund and the second month stays owed to
    nobody's payment: no month is paid by money that covered only part of what it was for."""
    from server.dues.payment_models import Channel
    from server.dues.payments import record_offline

    payer = make_payer(tree["a1"], "alice")
    bills = owe_months(payer.member, 2)
    placed = payer.post("/api/dues/orders", json={"bill_ids": [b.id for b in bills]}).get_json()
    paying.hold_notifications()
    assert paying.request_payment("alice", placed["payment"])["errMsg"] == "requestPayment:ok"
    cash = record_offline(
        payer.member, [bills[0].id], channel=Channel.CASH, receipt_no="XJ001", admin_id=None, admin_name="书记"
    )
    db.session.commit()
    paying.hold_notifications(False)
    paying.deliver_due()
    assert paying.notifications(placed["order_no"])[0].acknowledged
    db.session.expire_all()
    wechat = db.session.scalar(sa.select(DuesPayment).where(DuesPayment.out_trade_no == placed["order_no"]))
    assert wechat.status is PaymentStatus.UNAPPLIED and wechat.transaction_id
    first, second = bills_of(payer.member)
    assert (first.status, first.paid_by_payment_id) == (BillStatus.PAID, cash.id)
    assert (second.status, second.paid_by_payment_id, second.paid_at) == (BillStatus.UNPAID, None, None)
    assert [b["id"] for b in payer.get("/api/dues/me").get_json()["bills"]] == [second.id]


def test_200_concurrent_deliveries_for_50_orders_pay_each_bill_once(rules, tree, make_payer, paying):
    """On PostgreSQL with its row locks this is the real race; on SQLite the writes queue."""
    from concurrent.futures import ThreadPoolExecutor

    payers = [make_payer(tree["a1"], f"user{n}") for n in range(50)]
    orders = []
    for payer in payers:
        bills = owe_months(payer.member, 2)
        placed = payer.post("/api/dues/orders", json={"bill_ids": [b.id for b in bills]}).get_json()
        assert paying.request_payment(payer.user, placed["payment"])["errMsg"] == "requestPayment:ok"
        orders.append(placed["order_no"])
    paying.hold_notifications()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda no: paying.deliver_duplicates(no, 4, concurrent=True), orders))
    assert sum(len(r) for r in results) == 200
    assert all(a.acknowledged for r in results for a in r), {a.status for r in results for a in r}
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(DuesPayment.status == PaymentStatus.PAID)) == 50
    paid = db.session.execute(sa.select(DuesBill.status, DuesBill.paid_by_payment_id)).all()
    assert len(paid) == 100 and all(status is BillStatus.PAID and by for status, by in paid)


def test_money_that_covered_nothing_is_shown_to_the_member_as_unapplied_not_paid(rules, tree, make_payer, paying):
    payer = make_payer(tree["a1"], "alice")
    bills = owe_months(payer.member, 1)
    first = payer.post("/api/dues/orders", json={"bill_ids": [bills[0].id]}).get_json()
    prepay_id = first["payment"]["package"].removeprefix("prepay_id=")
    second = payer.post("/api/dues/orders", json={"bill_ids": [bills[0].id]}).get_json()  # closes the first
    assert paying.request_payment("alice", second["payment"])["errMsg"] == "requestPayment:ok"
    paying.confirm_payment(prepay_id, "alice", even_if_closed=True)  # WeChat took the first one all the same
    paying.deliver_due()
    order = payer.get(f"/api/dues/orders/{first['order_no']}").get_json()
    assert order["status"] == "unapplied" and order["paid_at"]
    assert payer.get(f"/api/dues/orders/{second['order_no']}").get_json()["status"] == "paid"
    items = {item["id"]: item for item in payer.get("/api/dues/payments").get_json()["items"]}
    statuses = sorted(item["status"] for item in items.values())
    assert statuses == ["paid", "unapplied"]  # both sums left the member's pocket; one paid nothing
    (unapplied,) = [item for item in items.values() if item["status"] == "unapplied"]
    assert payer.get(f"/api/dues/payments/{unapplied['id']}/receipt").status_code == 404  # no receipt for it
