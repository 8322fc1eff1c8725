"""Admin pages of dues payments: a member's payments with offline entry (cash, transfer), WeChat refunds
and reversals of offline entries, and the daily reconciliation report. Thin: scope, a service, render.

Who: offline entries and reversals, any admin who may write in the member's branch; refunds and the
reconciliation report, the finance admins only (the superadmin and the admins of a party committee),
since money leaves and the report covers the whole merchant account.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for

from server.admin.access import admin_required, writer_required
from server.audit.services import record
from server.auth.models import AdminUser, Role
from server.auth.scope import require_member, require_org
from server.db import db
from server.dues import bills, payments, reconcile, refunds
from server.dues.models import BillStatus, DuesBill
from server.dues.payment_models import (
    CHANNEL_LABELS,
    PAYMENT_STATUS_LABELS,
    REFUND_STATUS_LABELS,
    Channel,
    DuesPayment,
)
from server.dues.views import _yuan_to_fen, bp
from server.errors import AppError, NotFound, PermissionDenied
from server.members.services import get_member
from server.orgs.models import OrgKind
from server.timezone import local_today
from server.wechat.pay import WeChatPayError

PAYMENT_MISSING = "缴费记录不存在"


def is_finance_admin(admin: AdminUser) -> bool:
    """The committee's finance admins: the superadmin and the admins of a party committee."""
    if admin.role is Role.SUPERADMIN:
        return True
    return admin.role is Role.ORG_ADMIN and admin.org is not None and admin.org.kind is OrgKind.COMMITTEE


@bp.context_processor
def _refunds_waiting() -> dict:
    """The dues pages' 对账 button counts the refunds waiting for a finance admin (only theirs to see)."""
    admin = g.get("admin")
    if admin is None or not is_finance_admin(admin):
        return {}
    return {"refunds_waiting": refunds.count_needing_attention(admin.scope_path)}


def _require_finance() -> None:
    if not is_finance_admin(g.admin):
        raise PermissionDenied("仅党委财务管理员可以操作")


def _payment(payment_id: int, *, write: bool = False) -> DuesPayment:
    payment = db.session.get(DuesPayment, payment_id)
    if payment is None:
        raise NotFound(PAYMENT_MISSING)
    # outside the scope it is missing, to the letter (the member's branch now answers for it)
    require_org(g.admin, get_member(payment.member_id).org, write=write, missing=PAYMENT_MISSING)
    return payment


def _ids(name: str) -> list[int]:
    return [int(value) for value in request.form.getlist(name) if value.isdigit() and len(value) < 10]


def _audit(payment, action: str, detail: dict) -> None:
    """Every admin write on a payment goes into the audit log with the payment's label and branch."""
    record(
        f"dues_payment.{action}",
        "dues_payment",
        entity_id=payment.id,
        label=payment.audit_label(),
        org_id=payment.org_id,
        detail=detail,
    )


@bp.route("/members/<int:member_id>/payments")
@admin_required
def member_payments(member_id: int):
    member = require_member(g.admin, get_member(member_id))
    rows = db.session.scalars(
        sa.select(DuesPayment)
        .where(DuesPayment.member_id == member.id, DuesPayment.status != "pending")
        .order_by(DuesPayment.created_at.desc())
        .limit(100)
    ).all()
    payable = []
    if g.admin.role.can_write:
        first = bills.earliest_payable_month(member)
        payable = db.session.scalars(
            sa.select(DuesBill)
            .where(DuesBill.member_id == member.id, DuesBill.status == BillStatus.UNPAID, DuesBill.month >= first)
            .order_by(DuesBill.month)
        ).all()
    return render_template(
        "dues/payments.html",
        member=member,
        payments=rows,
        refunds=refunds.of_payments([p.id for p in rows]),
        payable=payable,
        channels=CHANNEL_LABELS,
        statuses=PAYMENT_STATUS_LABELS,
        refund_statuses=REFUND_STATUS_LABELS,
        finance=is_finance_admin(g.admin),
    )


@bp.route("/members/<int:member_id>/payments", methods=["POST"])
@writer_required
def record_offline(member_id: int):
    member = require_member(g.admin, get_member(member_id), write=True)
    try:
        channel = request.form.get("channel") or ""
        if channel not in (Channel.CASH.value, Channel.TRANSFER.value):
            raise AppError("bad_channel", "请选择现金或转账")
        extra = _yuan_to_fen(request.form.get("extra_yuan") or "0", "自愿多交金额")
        payment = payments.record_offline(
            member,
            _ids("bill_id"),
            channel=Channel(channel),
            receipt_no=(request.form.get("receipt_no") or "")[:40],
            admin_id=g.admin.id,
            admin_name=g.admin.display_name,
            extra_fen=extra,
            note=request.form.get("note") or "",
        )
    except AppError as refusal:
        db.session.rollback()
        flash(refusal.message)
    else:
        _audit(payment, "offline", {"months": payments.months_of(payment), "receipt_no": payment.receipt_no})
        flash(f"已登记{member.name}的{CHANNEL_LABELS[payment.channel]}缴费，收据 {payment.receipt_no}")
    return redirect(url_for("dues.member_payments", member_id=member.id))


@bp.route("/payments/<int:payment_id>/refund", methods=["POST"])
@writer_required
def refund_payment(payment_id: int):
    payment = _payment(payment_id, write=True)
    _require_finance()
    chosen = _ids("bill_id")
    try:
        refund = refunds.refund_wechat(payment, chosen or None, request.form.get("reason") or "", g.admin.id)
    except AppError as refusal:
        db.session.rollback()
        flash(refusal.message)
    except WeChatPayError as exc:
        db.session.rollback()
        flash(f"微信支付退款失败（{exc.code}），请稍后再试")
    else:
        _audit(payment, "refund", {"out_refund_no": refund.out_refund_no, "amount_fen": refund.amount_fen})
        flash(f"已申请退款 {refund.amount_fen / 100:.2f} 元，微信处理完成后账单恢复为未缴")
    return redirect(url_for("dues.member_payments", member_id=payment.member_id))


@bp.route("/payments/<int:payment_id>/reverse", methods=["POST"])
@writer_required
def reverse_payment(payment_id: int):
    payment = _payment(payment_id, write=True)
    try:
        refund = refunds.reverse_offline(payment, request.form.get("reason") or "", g.admin.id)
    except AppError as refusal:
        db.session.rollback()
        flash(refusal.message)
    else:
        _audit(payment, "reverse", {"out_refund_no": refund.out_refund_no, "reason": refund.reason})
        flash("已冲正，所含月份恢复为未缴")
    return redirect(url_for("dues.member_payments", member_id=payment.member_id))


@bp.route("/reconciliation")
@admin_required
def reconciliation_page():
    _require_finance()
    return render_template(
        "dues/reconciliation.html",
        attention=refunds.needing_attention(g.admin.scope_path),
        refund_statuses=REFUND_STATUS_LABELS,
        reports=reconcile.latest_reports(),
        kinds=reconcile.KIND_LABELS,
        yesterday=local_today() - timedelta(days=1),
    )


@bp.route("/reconciliation", methods=["POST"])
@writer_required
def run_reconciliation():
    _require_finance()
    try:
        day = date.fromisoformat((request.form.get("day") or "")[:10])
        if day > local_today():
            raise ValueError(day)
    except ValueError:
        flash("日期格式应为 2026-12-01，且不晚于今天")
        return redirect(url_for("dues.reconciliation_page"))
    try:
        report = reconcile.reconcile(day)
    except WeChatPayError as exc:
        db.session.rollback()
        flash(f"下载微信对账单失败（{exc.code}），请稍后再试")
        return redirect(url_for("dues.reconciliation_page"))
    record(
        "dues_reconciliation.run",
        "dues_reconciliation",
        entity_id=report.id,
        label=f"{day:%Y-%m-%d}",
        org_id=g.admin.org_id,  # the committee's finance admins read it (the superadmin reads all)
        detail={"differences": len(report.differences)},
    )
    flash(
        f"{day:%Y-%m-%d} 对账完成：{len(report.differences)} 处差异"
        if report.differences
        else f"{day:%Y-%m-%d} 对账无差异"
    )
    return redirect(url_for("dues.reconciliation_page"))
