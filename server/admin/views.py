"""Dashboard and audit log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, g, redirect, render_template, url_for

from server import health
from server.admin.access import admin_required, page_number
from server.audit.models import AuditLog
from server.auth.scope import in_scope, scope_roots
from server.db import db
from server.members import stats
from server.orgs.models import Organisation

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

PER_PAGE = 50


def _scope_root() -> Organisation | None:
    """The organisation whose units the dashboard compares: the account's own, or the only root."""
    roots = scope_roots(g.admin)
    return roots[0] if len(roots) == 1 else None


@bp.route("/")
@admin_required
def dashboard():
    figures = stats.dashboard(g.admin.scope_path, _scope_root())
    return render_template("admin/dashboard.html", figures=figures, root=_scope_root())


@bp.route("/audit")
@admin_required
def audit_log():
    query = sa.select(AuditLog).where(in_scope(AuditLog.org_id, g.admin))
    page = page_number()
    entries = db.session.scalars(query.order_by(AuditLog.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return render_template("admin/audit.html", entries=entries, page=page, per_page=PER_PAGE)


root = Blueprint("root", __name__)


@root.route("/")
def home():
    return redirect(url_for("admin.dashboard"))


@root.route("/healthz")
def healthz():
    return health.report()
