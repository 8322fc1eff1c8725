"""Admin pages 欠缴情况, 党费台账 and 上缴记录: thin, scoped to the admin's subtree, writes audited."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for

from server.admin.access import admin_required, id_arg, page_number, writer_required
from server.audit.services import record
from server.auth.scope import require_org, scope_roots
from server.db import db
from server.dues import arrears, ledger, remittances
from server.dues.ledger_excel import ledger_workbook
from server.dues.ledger_models import REMINDER_OUTCOME_LABELS, DuesRemittance
from server.dues.months import add_months, current_month
from server.dues.views import PER_PAGE, _month_arg, _orgs_for_filter, _under, _yuan_to_fen, bp
from server.errors import AppError, NotFound
from server.orgs import services as org_services
from server.orgs.models import Organisation
from server.spreadsheets import send_xlsx

REMITTANCE_MISSING = "上缴记录不存在"


def _node() -> Organisation:
    """The organisation asked for (``org_id``), or the top of the admin's scope; outside it = missing."""
    org_id = id_arg("org_id")
    if org_id is None:
        roots = scope_roots(g.admin)
        if not roots:
            raise NotFound("组织不存在或已撤销")
        return roots[0]
    return require_org(g.admin, org_services.get_org(org_id))


def _period() -> tuple[date, date]:
    this = current_month()
    last = _month_arg(request.args.get("to"), this)
    first = _month_arg(request.args.get("from"), add_months(last, -11))
    ledger.check_period(first, last)
    return first, last


# --- 欠缴情况 -------------------------------------------------------------------------------------------


@bp.route("/arrears")
@admin_required
def arrears_page():
    node = _node()
    flagged_only = request.args.get("flagged") == "1"
    minimum = arrears.FLAG_MONTHS if flagged_only else arrears.WARN_MONTHS
    items = arrears.members_in_arrears(node.path, minimum=minimum)
    return render_template(
        "dues/arrears.html",
        node=node,
        items=items,
        reminders=arrears.last_reminders([item.member_id for item in items]),
        outcomes=REMINDER_OUTCOME_LABELS,
        branches=arrears.by_branch(items),
        flagged_only=flagged_only,
        flagged=sum(1 for item in items if item.flagged),
        orgs=_orgs_for_filter(),
        warn=arrears.WARN_MONTHS,
        flag=arrears.FLAG_MONTHS,
    )


# --- 党费台账 -------------------------------------------------------------------------------------------


@bp.route("/ledger")
@admin_required
def ledger_page():
    node = _node()
    try:
        first, last = _period()
    except AppError as refusal:
        flash(refusal.message)
        return redirect(url_for("dues.ledger_page", org_id=node.id))
    book = ledger.ledger(node, first, last)
    chart = {
        "months": [m["month"] for m in book.months],
        "expected": [m["expected"] / 100 for m in book.months],
        "paid": [m["paid"] / 100 for m in book.months],
        "collected": [m["collected"] / 100 for m in book.months],
    }
    return render_template(
        "dues/ledger.html", book=book, chart=chart, orgs=_orgs_for_filter(), node=node, first=first, last=last
    )


@bp.route("/ledger.xlsx")
@admin_required
def ledger_export():
    node = _node()
    first, last = _period()
    book = ledger.ledger(node, first, last)
    record(
        "dues_ledger.export",
        "organisation",
        entity_id=node.id,
        label=f"{node.name} 党费台账 {first:%Y-%m}–{last:%Y-%m}",
        org_id=node.id,
        detail={"from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}"},
    )
    return send_xlsx(ledger_workbook(book), f"党费台账-{first:%Y%m}-{last:%Y%m}.xlsx")


# --- 上缴记录 -------------------------------------------------------------------------------------------


@bp.route("/remittances")
@admin_required
def remittances_page():
    node = _node()
    visible = sa.or_(_under(DuesRemittance.from_org_id, node), _under(DuesRemittance.to_org_id, node))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(DuesRemittance).where(visible))
    page = page_number()
    entries = db.session.scalars(
        sa.select(DuesRemittance)
        .where(visible)
        .options(sa.orm.joinedload(DuesRemittance.from_org), sa.orm.joinedload(DuesRemittance.to_org))
        .order_by(DuesRemittance.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    remitters = [org for org in _orgs_for_filter() if org.kind in remittances.REMITTERS and org.parent_id is not None]
    return render_template(
        "dues/remittances.html",
        node=node,
        entries=entries,
        reversed=remittances.reversed_ids([entry.id for entry in entries]),
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        remitters=remitters if g.admin.role.can_write else [],
        this_month=current_month(),
        orgs=_orgs_for_filter(),
    )


@bp.route("/remittances", methods=["POST"])
@writer_required
def add_remittance():
    form = request.form
    try:
        org_id = int(form.get("org_id") or 0)
    except ValueError:
        org_id = 0
    org = require_org(g.admin, org_services.get_org(org_id), write=True)
    try:
        entry = remittances.record_remittance(
            org,
            _month_arg(form.get("first_month")),
            _month_arg(form.get("last_month")),
            _yuan_to_fen(form.get("amount_yuan"), "上缴金额"),
            (form.get("note") or "").strip()[:200],
            g.admin.id,
        )
    except AppError as refusal:
        flash(refusal.message)
    else:
        flash(f"已登记{org.name}向{entry.to_org.name}上缴 {entry.amount_fen / 100:.2f} 元")
    return redirect(url_for("dues.remittances_page"))


@bp.route("/remittances/<int:entry_id>/reverse", methods=["POST"])
@writer_required
def reverse_remittance(entry_id: int):
    entry = db.session.get(DuesRemittance, entry_id)
    if entry is None:
        raise NotFound(REMITTANCE_MISSING)
    require_org(g.admin, entry.from_org, write=True, missing=REMITTANCE_MISSING)
    try:
        remittances.reverse(entry, (request.form.get("note") or "").strip()[:200], g.admin.id)
    except AppError as refusal:
        flash(refusal.message)
    else:
        flash("已登记冲正")
    return redirect(url_for("dues.remittances_page"))
