"""Admin pages of party dues: rules, bases (one by one and by Excel), bills, a member's dues, and each
branch's settings. Thin: parse the request, check scope, call a service, render."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from server.admin.access import admin_required, id_arg, page_number, writer_required
from server.audit.services import record
from server.auth.models import Role
from server.auth.scope import in_scope, require_member, require_org
from server.db import db
from server.dues import base_imports, bases, bills, excel, rules
from server.dues.models import (
    BASE_SOURCE_LABELS,
    BILL_STATUS_LABELS,
    BackpayApproval,
    BaseSource,
    BillStatus,
    DuesBill,
    DuesBranchSettings,
)
from server.dues.months import add_months, current_month, parse_month, runs_text
from server.errors import AppError, NotFound, PermissionDenied
from server.members.models import DUES_CATEGORY_LABELS, DuesCategory, Member
from server.members.services import get_member
from server.orgs import services as org_services
from server.orgs.models import Organisation, OrgKind
from server.spreadsheets import send_xlsx
from server.uploads import FORM_OVERHEAD, read_upload, upload_limit

bp = Blueprint("dues", __name__, url_prefix="/admin/dues", template_folder="templates")
BILL_MISSING = "账单不存在"
PER_PAGE = 50


@bp.app_template_filter("month_runs")
def month_runs(months) -> str:
    """A list of months (dates) as ranges: ``2026-07 至 2026-11（5 个月）``."""
    return runs_text(list(months))


def _yuan_to_fen(text: str | None, label: str) -> int:
    try:
        amount = Decimal((text or "").strip().replace(",", ""))
    except InvalidOperation as exc:
        raise AppError("bad_amount", f"{label}应为金额，如 5200.50") from exc
    if amount != amount.quantize(Decimal("0.01")) or amount < 0 or amount > 1_000_000:
        raise AppError("bad_amount", f"{label}应在 0 到 1,000,000 元之间，最多两位小数")
    return int(amount * 100)


def _month_arg(text: str | None, default: date | None = None) -> date:
    if not text and default is not None:
        return default
    try:
        return parse_month(text or "")
    except ValueError as exc:
        raise AppError("bad_month", "月份格式应为 2027-01") from exc


def _branch_filter() -> Organisation | None:
    """The organisation chosen in the filter, if any; outside the scope it does not exist."""
    org_id = id_arg("org_id")
    if org_id is None:
        return None
    return require_org(g.admin, org_services.get_org(org_id))


def _orgs_for_filter() -> list[Organisation]:
    query = org_services.live_orgs_under(g.admin.scope_path).where(Organisation.kind != OrgKind.GROUP)
    return list(db.session.scalars(query.order_by(org_services.tree_order())))


def _under(column: sa.ColumnElement, org: Organisation | None) -> sa.ColumnElement[bool]:
    from server.auth.scope import scope_filter

    return scope_filter(column, org.path) if org is not None else in_scope(column, g.admin)


# --- rules ----------------------------------------------------------------------------------------------


@bp.route("/rules")
@admin_required
def rules_page():
    return render_template(
        "dues/rules.html",
        rules=rules.list_rules(),
        in_force=rules.rule_for_month(current_month()).id,
        categories=DUES_CATEGORY_LABELS,
        next_month=add_months(current_month(), 1),
        may_add=g.admin.role is Role.SUPERADMIN,
    )


def _brackets(text: str, label: str) -> list[tuple[int | None, int]]:
    """ "3000:0.5, 5000:1, *:2" → [(300000, 50), (500000, 100), (None, 200)] (yuan : percent)."""
    rows: list[tuple[int | None, int]] = []
    for part in text.replace("，", ",").replace("：", ":").split(","):
        if not part.strip():
            continue
        try:
            upper, rate = (piece.strip() for piece in part.split(":"))
            percent = Decimal(rate)
        except (ValueError, InvalidOperation) as exc:
            raise AppError("rule_brackets", f"{label}档次格式应为 上限元:比例%，如 3000:0.5, *:2") from exc
        if percent != percent.quantize(Decimal("0.01")) or not 0 <= percent <= 100:
            raise AppError("rule_brackets", f"{label}比例应在 0 到 100 之间，最多两位小数")
        rows.append((None if upper == "*" else _yuan_to_fen(upper, f"{label}档次上限"), int(percent * 100)))
    return rows


@bp.route("/rules", methods=["POST"])
@writer_required
def add_rule():
    if g.admin.role is not Role.SUPERADMIN:
        raise PermissionDenied("只有系统管理员可以增加党费规则")
    form = request.form
    try:
        rule = rules.add_rule(
            effective_month=_month_arg(form.get("effective_month")),
            title=(form.get("title") or "").strip()[:100] or "新版党费规则",
            fixed_low_fen=_yuan_to_fen(form.get("fixed_low_yuan"), "学生、失业等固定金额"),
            farmer_min_fen=_yuan_to_fen(form.get("farmer_min_yuan"), "农民党员最低金额"),
            farmer_max_fen=_yuan_to_fen(form.get("farmer_max_yuan"), "农民党员最高金额"),
            brackets={
                DuesCategory.EMPLOYED: _brackets(form.get("employed", ""), "在职"),
                DuesCategory.RETIRED: _brackets(form.get("retired", ""), "离退休"),
            },
            created_by_id=g.admin.id,
            today_month=current_month(),
        )
    except AppError as refusal:
        flash(refusal.message)
        return redirect(url_for("dues.rules_page"))
    flash(f"已增加党费规则，自 {rule.effective_month:%Y-%m} 起施行")
    return redirect(url_for("dues.rules_page"))


# --- bases ----------------------------------------------------------------------------------------------


@bp.route("/bases")
@admin_required
def bases_page():
    org = _branch_filter()
    name = (request.args.get("q") or "").strip()[:32]
    query = sa.select(Member).where(_under(Member.org_id, org))
    if name:
        query = query.where(Member.name.contains(name, autoescape=True))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    page = page_number()
    members = db.session.scalars(
        query.order_by(Member.org_id, Member.name_sort).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "dues/bases.html",
        members=members,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        org=org,
        q=name,
        orgs=_orgs_for_filter(),
        categories=DUES_CATEGORY_LABELS,
    )


@bp.route("/bases/template.xlsx")
@writer_required
def bases_template():
    month = date(current_month().year + 1, 1, 1)
    record("dues_base.template", "dues_base", label="缴费基数模板", org_id=g.admin.org_id)
    return send_xlsx(base_imports.template(g.admin.scope_path, month), "缴费基数导入模板.xlsx")


@bp.route("/bases/import", methods=["POST"])
@upload_limit(base_imports.MAX_BYTES + FORM_OVERHEAD, base_imports.TOO_LARGE)
@writer_required
def bases_import():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise AppError("no_file", "请选择要导入的 Excel 文件")
    if not upload.filename.lower().endswith(".xlsx"):
        raise AppError("not_excel", "请上传 .xlsx 格式的 Excel 文件（可先下载模板）")
    content = read_upload(upload, base_imports.MAX_BYTES, base_imports.TOO_LARGE)
    outcome = base_imports.import_bases(content, g.admin.scope_path, g.admin.id)
    if outcome.errors:
        return render_template("dues/import_errors.html", errors=outcome.errors, filename=upload.filename), 400
    flash(f"已导入 {outcome.saved} 名党员的缴费基数")
    return redirect(url_for("dues.bases_page"))


# --- one member -----------------------------------------------------------------------------------------


@bp.route("/members/<int:member_id>")
@admin_required
def member_dues(member_id: int):
    member = require_member(g.admin, get_member(member_id))
    member_bills = db.session.scalars(
        sa.select(DuesBill).where(DuesBill.member_id == member.id).order_by(DuesBill.month.desc()).limit(36)
    ).all()
    approvals = db.session.scalars(
        sa.select(BackpayApproval).where(BackpayApproval.member_id == member.id).order_by(BackpayApproval.id.desc())
    ).all()
    return render_template(
        "dues/member.html",
        member=member,
        history=bases.history(member.id),
        bills=member_bills,
        approvals=approvals,
        paid_up_to=bills.paid_up_to(member),
        unpaid=bills.unpaid_months(member),
        earliest=bills.earliest_payable_month(member),
        categories=DUES_CATEGORY_LABELS,
        statuses=BILL_STATUS_LABELS,
        sources=BASE_SOURCE_LABELS,
        this_month=current_month(),
    )


@bp.route("/members/<int:member_id>/base", methods=["POST"])
@writer_required
def set_base(member_id: int):
    member = require_member(g.admin, get_member(member_id), write=True)
    try:
        month = _month_arg(request.form.get("effective_month"))
        fen = _yuan_to_fen(request.form.get("base_yuan"), "月缴费基数")
        bases.set_base(member, month, fen, set_by_id=g.admin.id, source=BaseSource.MANUAL)
    except AppError as refusal:
        flash(refusal.message)
    else:
        flash(f"已设置{member.name}自 {month:%Y-%m} 起的缴费基数")
    return redirect(url_for("dues.member_dues", member_id=member.id))


@bp.route("/members/<int:member_id>/backpay", methods=["POST"])
@writer_required
def approve_backpay(member_id: int):
    member = require_member(g.admin, get_member(member_id), write=True)
    try:
        month = _month_arg(request.form.get("from_month"))
        bills.approve_backpay(member, month, (request.form.get("reason") or "")[:200], g.admin.id)
    except AppError as refusal:
        flash(refusal.message)
    else:
        flash(f"已批准{member.name}补缴至 {month:%Y-%m}")
    return redirect(url_for("dues.member_dues", member_id=member.id))


# --- bills ----------------------------------------------------------------------------------------------


def _bill_filters() -> tuple[Organisation | None, date, BillStatus | None, list[sa.ColumnElement[bool]]]:
    org = _branch_filter()
    month = _month_arg(request.args.get("month"), current_month())
    status_text = request.args.get("status") or ""
    status = BillStatus(status_text) if status_text in BillStatus._value2member_map_ else None
    where = [_under(DuesBill.org_id, org), DuesBill.month == month]
    if status is not None:
        where.append(DuesBill.status == status)
    return org, month, status, where


@bp.route("/bills")
@admin_required
def bills_page():
    org, month, status, where = _bill_filters()
    totals = db.session.execute(
        sa.select(DuesBill.status, sa.func.count(), sa.func.coalesce(sa.func.sum(DuesBill.amount_fen), 0))
        .where(*where[:2])
        .group_by(DuesBill.status)
    ).all()
    page = page_number()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(DuesBill).where(*where))
    rows = db.session.scalars(
        sa.select(DuesBill)
        .where(*where)
        .options(sa.orm.joinedload(DuesBill.member), sa.orm.joinedload(DuesBill.org))
        .order_by(DuesBill.org_id, DuesBill.member_id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "dues/bills.html",
        bills=rows,
        totals={row[0]: (row[1], row[2]) for row in totals},
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        org=org,
        month=month,
        status=status,
        orgs=_orgs_for_filter(),
        statuses=BILL_STATUS_LABELS,
        categories=DUES_CATEGORY_LABELS,
    )


@bp.route("/bills.xlsx")
@admin_required
def bills_export():
    org, month, status, where = _bill_filters()
    content = excel.bills_workbook(where)
    record(
        "dues_bill.export",
        "dues_bill",
        label=f"党费账单 {month:%Y-%m}",
        org_id=org.id if org else g.admin.org_id,
        detail={"month": f"{month:%Y-%m}", "status": status.value if status else None},
    )
    return send_xlsx(content, f"党费账单-{month:%Y-%m}.xlsx")


@bp.route("/bills/<int:bill_id>/status", methods=["POST"])
@writer_required
def bill_status(bill_id: int):
    bill = db.session.get(DuesBill, bill_id)
    if bill is None:
        raise NotFound(BILL_MISSING)
    require_org(g.admin, bill.org, write=True, missing=BILL_MISSING)
    wanted = request.form.get("status") or ""
    note = (request.form.get("note") or "").strip()[:200]
    before = bill.status
    try:
        if wanted not in (BillStatus.WAIVED.value, BillStatus.UNPAID.value):
            raise AppError("bad_transition", "只能免缴或撤销免缴")
        if wanted == BillStatus.WAIVED.value and not note:
            raise AppError("reason_required", "请填写免缴理由")
        bills.change_status(bill, BillStatus(wanted), note)
    except AppError as refusal:
        flash(refusal.message)
    else:
        record(
            "dues_bill.status",
            "dues_bill",
            entity_id=bill.id,
            label=f"member #{bill.member_id} {bill.month:%Y-%m}",
            org_id=bill.org_id,
            detail={"from": before.value, "to": bill.status.value, "note": note},
        )
        flash(f"{bill.member.name} {bill.month:%Y-%m} 已改为{BILL_STATUS_LABELS[bill.status]}")
    return redirect(url_for("dues.member_dues", member_id=bill.member_id))


# --- branch settings ------------------------------------------------------------------------------------


def _branch(org_id: int, *, write: bool = False) -> Organisation:
    org = require_org(g.admin, org_services.get_org(org_id), write=write)
    if org.kind is not OrgKind.BRANCH:
        raise NotFound("组织不存在或已撤销")
    return org


@bp.route("/settings/<int:org_id>")
@admin_required
def settings_page(org_id: int):
    org = _branch(org_id)
    settings = db.session.get(DuesBranchSettings, org.id)
    return render_template("dues/settings.html", org=org, settings=settings)


@bp.route("/settings/<int:org_id>", methods=["POST"])
@writer_required
def save_settings(org_id: int):
    org = _branch(org_id, write=True)
    try:
        farmer_fen = _yuan_to_fen(request.form.get("farmer_yuan"), "农民党员每月党费")
        if not 20 <= farmer_fen <= 100:
            raise AppError("bad_amount", "农民党员每月党费应在 0.20 到 1.00 元之间")
        allow = request.form.get("allow_pay_ahead") == "on"
        try:
            ahead = int(request.form.get("ahead_months") or 0) if allow else 0
        except ValueError as exc:
            raise AppError("bad_number", "可预缴月数应为 1 到 12") from exc
        if allow and not 1 <= ahead <= 12:
            raise AppError("bad_number", "可预缴月数应为 1 到 12")
    except AppError as refusal:
        flash(refusal.message)
        return redirect(url_for("dues.settings_page", org_id=org.id))
    settings = db.session.get(DuesBranchSettings, org.id) or DuesBranchSettings(org_id=org.id)
    settings.farmer_fen, settings.allow_pay_ahead, settings.ahead_months = farmer_fen, allow, ahead
    db.session.add(settings)
    flash(f"已保存{org.name}的党费设置")
    return redirect(url_for("dues.settings_page", org_id=org.id))


# the ledger pages, arrears and remittances register themselves on this blueprint
from server.dues import ledger_views as _ledger_views  # noqa: E402, F401
