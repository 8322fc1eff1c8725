"""Dashboard and audit log."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from server import health
from server.admin.access import admin_required, page_number
from server.admin.dashboard import figures as dashboard_figures
from server.audit import browse
from server.audit import excel as audit_excel
from server.audit.browse import AuditFilter
from server.audit.readable import readable
from server.audit.services import record
from server.auth.scope import scope_roots
from server.orgs.models import Organisation
from server.spreadsheets import send_xlsx

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

PER_PAGE = 50
#: entries in one export, newest first: a year of a large committee's trail is far more than a sheet holds well
EXPORT_LIMIT = 20_000


def _scope_root() -> Organisation | None:
    """The organisation whose units the dashboard compares: the account's own, or the only root."""
    roots = scope_roots(g.admin)
    return roots[0] if len(roots) == 1 else None


@bp.route("/")
@admin_required
def dashboard():
    root = _scope_root()
    members, panels = dashboard_figures(g.admin.scope_path, root)
    return render_template("admin/dashboard.html", figures=members, root=root, panels=panels)


@bp.route("/audit")
@admin_required
def audit_log():
    flt = AuditFilter.from_args(request.args)
    number = page_number()
    entries = readable(browse.page(flt, g.admin, number, PER_PAGE))
    return render_template(
        "admin/audit.html",
        entries=entries,
        page=number,
        per_page=PER_PAGE,
        flt=flt,
        total=browse.count(flt, g.admin),
        entities=browse.entity_choices(),
    )


@bp.route("/audit/export.xlsx")
@admin_required
def audit_export():
    flt = AuditFilter.from_args(request.args)
    content = audit_excel.workbook(readable(browse.newest(flt, g.admin, EXPORT_LIMIT)))
    record("audit.export", "audit", org_id=g.admin.org_id, label="操作日志", detail={"filter": flt.args()})
    return send_xlsx(content, "操作日志.xlsx")


root = Blueprint("root", __name__)


@root.route("/")
def home():
    return redirect(url_for("admin.dashboard"))


@root.route("/healthz")
def healthz():
    return health.report()
