"""Admin pages of the newspaper's statistics: every published issue of the admin's scope side by side, and
one issue per article and per branch, with charts (server/static/charts.js) and Excel exports.

The figures are defined once, in server/newspaper/stats.py. Branch rows are limited to the admin's scope.
Each export is in the audit trail.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, g, render_template

from server.admin.access import admin_required
from server.audit.services import record
from server.auth.scope import in_scope
from server.db import db
from server.newspaper import excel, stats
from server.newspaper.models import IssueStatus, NewsIssue
from server.newspaper.views import bp, issue_of, to_issue
from server.spreadsheets import send_xlsx

#: issues on the overview (newest first) and in its chart
OVERVIEW_ISSUES = 100
CHART_ISSUES = 12
#: branches in the issue page's chart (the table lists them all)
CHART_BRANCHES = 20


def _published(admin) -> list[NewsIssue]:
    return list(
        db.session.scalars(
            sa.select(NewsIssue)
            .where(
                in_scope(NewsIssue.org_id, admin),
                NewsIssue.status.in_([IssueStatus.PUBLISHED, IssueStatus.WITHDRAWN]),
            )
            .options(sa.orm.joinedload(NewsIssue.org))
            .order_by(NewsIssue.published_at.desc(), NewsIssue.id.desc())
            .limit(OVERVIEW_ISSUES)
        )
    )


def _percent(value: float | None) -> float:
    return round(100 * value, 1) if value is not None else 0


@bp.route("/stats")
@admin_required
def stats_overview():
    issues = _published(g.admin)
    figures = stats.overview([issue.id for issue in issues])
    recent = list(reversed(issues[:CHART_ISSUES]))
    chart = {
        "issues": [f"第{issue.number}期 {issue.title}" for issue in recent],
        "read_rate": [_percent(figures[issue.id].read_rate) for issue in recent],
        "finish_rate": [_percent(figures[issue.id].finish_rate) for issue in recent],
    }
    return render_template("newspaper/stats_overview.html", issues=issues, figures=figures, chart=chart)


@bp.route("/stats.xlsx")
@admin_required
def stats_overview_export():
    issues = _published(g.admin)
    scope = g.admin.org
    record(
        "news_issue.export",
        "organisation",
        entity_id=scope.id if scope else None,
        label=f"{scope.name if scope else '全部组织'} 手机报统计",
        org_id=scope.id if scope else None,
        detail={"issues": len(issues)},
    )
    return send_xlsx(excel.issues_workbook(issues, stats.overview([i.id for i in issues])), "手机报统计.xlsx")


def _issue_published(issue_id: int) -> NewsIssue | None:
    issue = issue_of(issue_id)
    return issue if issue.published_at is not None else None


@bp.route("/<int:issue_id>/stats")
@admin_required
def issue_stats(issue_id: int):
    issue = _issue_published(issue_id)
    if issue is None:
        flash("这一期尚未发布，发布后才有阅读统计")
        return to_issue(issue_of(issue_id))
    figures = stats.issue_stats(issue)
    articles = stats.article_stats(issue)
    branches = stats.branch_stats(issue, g.admin)
    curve = stats.timeline(issue)
    chart = {
        "articles": [f"{a.position}. {a.title}" for a in articles],
        "read": [a.read for a in articles],
        "finished": [a.finished for a in articles],
        "likes": [a.likes for a in articles],
        "forwards": [a.forwards for a in articles],
        "branches": [[b.name, _percent(b.read_rate)] for b in branches[:CHART_BRANCHES]],
        "hours": curve.hours,
        "readers": curve.read,
    }
    return render_template(
        "newspaper/stats.html", issue=issue, figures=figures, articles=articles, branches=branches, chart=chart
    )


@bp.route("/<int:issue_id>/stats.xlsx")
@admin_required
def issue_stats_export(issue_id: int):
    issue = _issue_published(issue_id)
    if issue is None:
        flash("这一期尚未发布，发布后才有阅读统计")
        return to_issue(issue_of(issue_id))
    record(
        "news_issue.export",
        "news_issue",
        entity_id=issue.id,
        label=issue.audit_label(),
        org_id=issue.org_id,
        detail={"what": "statistics"},
    )
    content = excel.issue_workbook(
        issue, stats.issue_stats(issue), stats.article_stats(issue), stats.branch_stats(issue, g.admin)
    )
    return send_xlsx(content, f"手机报第{issue.number}期统计.xlsx")
