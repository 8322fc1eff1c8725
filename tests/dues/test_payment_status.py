"""A payment's status moves only along the one transition table, once, and every move is in the audit
trail in the name of whoever made it: an admin, WeChat Pay (its notification, or its answer to our
query) or the dues jobs (系统任务), so the committee's finance admin reads every change to money."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest
import sqlalchemy as sa

from server.audit.models import AuditLog
from server.auth.models import Role
from server.db import db, utcnow
from server.dues.payment_models import (
    PAYMENT_STATUS_LABELS,
    PAYMENT_TRANSITIONS,
    Channel,
    DuesPayment,
    PayerKind,
    PaymentStatus,
)
from server.dues.payment_status import BadTransition, StatusChanged, lock_payment, move
from server.dues.tasks import close_expired_orders
from tests.dues.conftest import owe_months
from tests.dues.test_payments import pay_three_months, snapshot

PAIRS = list(product(PaymentStatus, PaymentStatus))


def _payment(member, status: PaymentStatus) -> DuesPayment:
    payment = DuesPayment(
        out_trade_no=f"DTEST{status.value[:10].upper()}",
        member_id=member.id,
        org_id=member.org_id,
        payer_kind=PayerKind.SELF,
        payer_member_id=member.id,
        payer_name=member.name,
        channel=Channel.WECHAT,
        status=status,
        amount_fen=1500,
        extra_fen=0,
    )
    db.session.add(payment)
    db.session.commit()
    return payment


def status_entries(payment_id: int) -> list[AuditLog]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditLog)
            .where(AuditLog.action == "dues_payment.status", AuditLog.entity_id == payment_id)
            .order_by(AuditLog.id)
        )
    )


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_every_change_follows_the_table_and_a_refused_one_writes_nothing(rules, tree, make_member, old, new):
    member = make_member(tree["a1"])
    payment = _payment(member, old)
    allowed = new in PAYMENT_TRANSITIONS[old]
    before = snapshot()
    locked = lock_payment(payment_id=payment.id)
    if not allowed:
        with pytest.raises(BadTransition) as refusal:
            move(locked, new, reason="测试")
        assert PAYMENT_STATUS_LABELS[old] in refusal.value.message
        db.session.rollback()
        assert snapshot() == before and status_entries(payment.id) == []
        return
    move(locked, new, reason="测试")
    db.session.commit()
    assert db.session.get(DuesPayment, payment.id).status is new
    (entry,) = status_entries(payment.id)
    assert entry.before == {"payment_status": PAYMENT_STATUS_LABELS[old]}
    assert entry.after == {"payment_status": PAYMENT_STATUS_LABELS[new], "reason": "测试"}
    assert entry.org_id == member.org_id


def test_a_status_changed_meanwhile_is_not_overwritten(rules, tree, make_member):
    member = make_member(tree["a1"])
    payment = _payment(member, PaymentStatus.PENDING)
    stale = lock_payment(payment_id=payment.id)
    table = DuesPayment.__table__  # another transaction closed it after we read it
    db.session.connection().execute(sa.update(table).where(table.c.id == payment.id).values(status="closed"))
    with pytest.raises(StatusChanged):
        move(stale, PaymentStatus.PAID, reason="测试")
    db.session.commit()
    assert db.session.get(DuesPayment, payment.id).status is PaymentStatus.CLOSED
    assert status_entries(payment.id) == []


def test_wechat_pays_notification_is_audited_in_wechat_pays_name(rules, tree, make_payer, make_admin, browser, paying):
    payer = make_payer(tree["a1"], "alice")
    _, order_no = pay_three_months(payer, paying)
    paying.deliver_due()
    payment = db.session.scalar(sa.select(DuesPayment).where(DuesPayment.out_trade_no == order_no))
    (entry,) = status_entries(payment.id)
    assert (entry.actor_kind, entry.actor_name) == ("system", "微信支付")
    assert entry.before["payment_status"] == "待支付" and entry.after["payment_status"] == "已支付"
    assert entry.after["transaction_id"] == payment.transaction_id and entry.after["reason"] == "微信支付通知：支付成功"
    paying.deliver_duplicates(order_no, 3)
    assert len(status_entries(payment.id)) == 1  # a duplicate changes nothing, so it records nothing
    make_admin("caiwu", Role.ORG_ADMIN, tree["committee"])  # the committee's finance admin
    log = browser("caiwu").get("/admin/audit").get_data(as_text=True)
    assert "微信支付" in log and "缴费状态" in log and "待支付" in log and "已支付" in log


def test_the_expiry_job_is_audited_as_a_system_job_and_a_late_payment_as_wechat_pay(
    rules, tree, make_payer, paying, monkeypatch
):
    import server.dues.payments as payments

    payer = make_payer(tree["a1"], "alice")
    bills = owe_months(payer.member, 2)
    unpaid = payer.post("/api/dues/orders", json={"bill_ids": [bills[0].id]}).get_json()
    landed = payer.post("/api/dues/orders", json={"bill_ids": [bills[1].id]}).get_json()
    assert paying.request_payment("alice", landed["payment"])["errMsg"] == "requestPayment:ok"
    paying.hold_notifications()  # the payment landed, its notification did not
    later = utcnow() + timedelta(hours=1)
    monkeypatch.setattr(payments, "utcnow", lambda: later)
    assert close_expired_orders() == 2
    ids = dict(db.session.execute(sa.select(DuesPayment.out_trade_no, DuesPayment.id)).all())
    (closed,) = status_entries(ids[unpaid["order_no"]])
    assert (closed.actor_name, closed.after["payment_status"]) == ("系统任务", "已关闭")
    assert closed.after["reason"] == "订单超时未支付，已关闭"
    (paid,) = status_entries(ids[landed["order_no"]])
    assert (paid.actor_name, paid.after["payment_status"]) == ("微信支付", "已支付")
    assert paid.after["reason"] == "查询微信支付订单：支付成功"


def test_a_refund_wechat_reports_is_audited_in_wechat_pays_name(rules, tree, make_payer, make_admin, browser, paying):
    payer = make_payer(tree["a1"], "alice")
    bills, order_no = pay_three_months(payer, paying)
    paying.deliver_due()
    payment = db.session.scalar(sa.select(DuesPayment).where(DuesPayment.out_trade_no == order_no))
    make_admin("root", Role.SUPERADMIN, display_name="财务王")
    browser("root").post(f"/admin/dues/payments/{payment.id}/refund", {"bill_id": str(bills[0].id), "reason": "多缴"})
    paying.deliver_due()
    entries = status_entries(payment.id)
    assert [(e.actor_name, e.after["payment_status"]) for e in entries] == [
        ("微信支付", "已支付"),
        ("微信支付", "部分退款"),
    ]
    assert entries[-1].before["refunded_fen"] == 0 and entries[-1].after["refunded_fen"] == bills[0].amount_fen
    asked = db.session.scalars(sa.select(AuditLog.actor_name).where(AuditLog.action == "dues_payment.refund")).all()
    assert asked == ["财务王"]  # the person who asked for it is recorded too
    refund_changes = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "dues_refund.update").order_by(AuditLog.id)
    ).all()
    assert [(e.actor_name, e.before["status"], e.after["status"]) for e in refund_changes if "status" in e.after] == [
        ("微信支付", "processing", "success")
    ]
