"""Admin page of the mailbox statistics: per organisation of the scope, letters received, replied, overdue
and the median time to reply, with a chart (server/static/charts.js) and an Excel export (audited)."""

from __future__ import annotations

from datetime import timedelta

from flask import g, render_template, request

from server.admin.access import bounded_int, writer_required
from server.audit.services import record
from server.db import utcnow
from server.mailbox import excel, stats
from server.mailbox.views import bp
from server.spreadsheets import send_xlsx

#: the periods offered, in days (0: since the beginning)
PERIODS = {30: "近 30 天", 90: "近 90 天", 365: "近一年", 0: "全部"}
CHART_ORGS = 15


def _figures() -> tuple[int, list[stats.OrgFigures]]:
    days = bounded_int(request.args.get("days"), range(0, 366))
    days = days if days in PERIODS else 90
    since = utcnow() - timedelta(days=days) if days else None
    return days, stats.per_org(g.admin, since)


@bp.route("/stats")
@writer_required
def stats_page():
    days, figures = _figures()
    top = figures[:CHART_ORGS]
    chart = {
        "orgs": [f.name for f in top],
        "received": [f.received for f in top],
        "replied": [f.replied for f in top],
        "median_hours": [f.median_hours or 0 for f in top],
    }
    return render_template(
        "mailbox/stats.html", figures=figures, total=stats.total(figures), chart=chart, days=days, periods=PERIODS
    )


@bp.route("/stats.xlsx")
@writer_required
def stats_export():
    days, figures = _figures()
    scope = g.admin.org
    name = scope.name if scope else "全部组织"
    record(
        "letter.export",
        "organisation",
        entity_id=scope.id if scope else None,
        label=f"{name} 信箱统计",
        org_id=scope.id if scope else None,
        detail={"days": days, "organisations": len(figures)},
    )
    return send_xlsx(excel.stats_workbook(f"{name} 信箱统计（{PERIODS[days]}）", figures), "信箱统计.xlsx")
