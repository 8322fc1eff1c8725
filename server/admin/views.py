"""Dashboard and audit log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, g, redirect, render_template, url_for

from server.admin.access import admin_required, page_number
from server.audit.models import AuditLog
from server.db import db
from server.members.models import STATUS_LABELS
from server.members.services import count_by_status
from server.orgs.models import Organisation

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

PER_PAGE = 50


@bp.route("/")
@admin_required
def dashboard():
    counts = count_by_status(g.admin.scope_path)
    return render_template(
        "admin/dashboard.html",
        counts={STATUS_LABELS[status]: count for status, count in counts.items()},
        total=sum(counts.values()),
    )


@bp.route("/audit")
@admin_required
def audit_log():
    scope = g.admin.scope_path
    query = sa.select(AuditLog)
    if scope != "/":
        query = query.where(AuditLog.org_id.in_(sa.select(Organisation.id).where(Organisation.path.startswith(scope))))
    page = page_number()
    entries = db.session.scalars(query.order_by(AuditLog.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return render_template("admin/audit.html", entries=entries, page=page, per_page=PER_PAGE)


root = Blueprint("root", __name__)


@root.route("/")
def home():
    return redirect(url_for("admin.dashboard"))


@root.route("/healthz")
def healthz():
    db.session.execute(sa.text("SELECT 1"))
    return {"ok": True}
