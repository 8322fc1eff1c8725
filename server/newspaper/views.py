"""Admin pages of the newspaper (手机报): the issue list, a new issue, and an issue's page where its draft is
composed (title, 期号, articles, audience with the live reach) and its review and publishing happen.

Thin: parse the form (server/newspaper/forms.py), call the workflow or the admin services, flash what
happened and go back to the issue. An issue outside the admin's subtree is "missing" (404), a read-only
account gets 403; a refusal a secretary can act on (a blank title, a number taken) comes back as a
message on the page, with nothing written. The articles, review, progress and statistics pages are in
article_views.py, review_views.py and stats_views.py, on this blueprint.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from server.admin.access import admin_required, page_number, writer_required
from server.db import db, utcnow
from server.errors import AppError
from server.newspaper import admin_services, audience, forms, stats, workflow
from server.newspaper.models import (
    ISSUE_STATUS_LABELS,
    NARROWING_LABELS,
    IssueStatus,
    Narrowing,
    NewsIssue,
)
from server.orgs import services as org_services
from server.orgs.models import OrgKind
from server.timezone import to_local

bp = Blueprint("newspaper", __name__, url_prefix="/admin/newspaper", template_folder="templates")
#: what the picker offers for a subtree; a party group is reached only as a group
SUBTREE_NARROWINGS = (Narrowing.ALL, Narrowing.PROBATIONARY, Narrowing.SECRETARIES)


def issue_of(issue_id: int, *, write: bool = False) -> NewsIssue:
    """The issue, if the admin administers its organisation; any other is "missing"."""
    return workflow.get_issue(g.admin, issue_id, write=write)


def to_issue(issue: NewsIssue, anchor: str = ""):
    return redirect(url_for("newspaper.issue_page", issue_id=issue.id) + (f"#{anchor}" if anchor else ""))


@contextmanager
def refusals_flashed() -> Iterator[None]:
    """A refusal the admin can act on becomes a message on the next page, with nothing of it written;
    "missing" (404) and "not allowed" (403) are answered as such."""
    try:
        yield
    except AppError as refusal:
        if refusal.status in (401, 403, 404):
            raise
        db.session.rollback()
        flash(refusal.message)


# --- the list --------------------------------------------------------------------------------------------


def _status_arg() -> IssueStatus | None:
    try:
        return IssueStatus(request.args.get("status", ""))
    except ValueError:
        return None


@bp.route("/")
@admin_required
def index():
    status = _status_arg()
    listing = admin_services.issues(g.admin, status, page_number())
    published = [i.id for i in listing.issues if i.status in (IssueStatus.PUBLISHED, IssueStatus.WITHDRAWN)]
    return render_template(
        "newspaper/list.html",
        listing=listing,
        status=status,
        counts=admin_services.counts_by_status(g.admin),
        figures=stats.overview(published),
        reach=admin_services.reach_of_drafts(listing.issues),
        waiting=len(admin_services.review_queue(g.admin)) if g.admin.role.can_write else 0,
        labels=ISSUE_STATUS_LABELS,
    )


# --- a new issue -----------------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@writer_required
def create():
    orgs = admin_services.publishing_orgs(g.admin)
    if request.method == "POST":
        with refusals_flashed():
            org = org_services.get_org(forms.org_id(request.form))
            fields = forms.issue_fields(request.form)
            issue = admin_services.new_issue(g.admin, org, fields.title, number=fields.number, urgent=fields.urgent)
            flash(f"已新建第 {issue.number} 期，请添加文章并选择发送范围")
            return to_issue(issue)
    chosen = request.form.get("org_id") or (str(g.admin.org_id) if g.admin.org_id else "")
    next_numbers = {org.id: workflow.next_number(org) for org in orgs}
    return render_template("newspaper/new.html", orgs=orgs, chosen=chosen, next_numbers=next_numbers, form=request.form)


# --- an issue --------------------------------------------------------------------------------------------


def _picker(issue: NewsIssue) -> list[dict]:
    """The audience picker's rows: each organisation of the subtree, ticked and narrowed as saved."""
    saved = {row.org_id: row.narrowing for row in issue.audiences}
    top = issue.org.depth
    rows = []
    for org in admin_services.audience_choices(issue):
        group = org.kind is OrgKind.GROUP
        rows.append(
            {
                "org": org,
                "indent": org.depth - top,
                "ticked": org.id in saved,
                "narrowing": saved.get(org.id, Narrowing.GROUP if group else Narrowing.ALL),
                "choices": (Narrowing.GROUP,) if group else SUBTREE_NARROWINGS,
            }
        )
    return rows


@bp.route("/<int:issue_id>")
@admin_required
def issue_page(issue_id: int):
    issue = issue_of(issue_id)
    draft = issue.status is IssueStatus.DRAFT
    writable = g.admin.role.can_write
    return render_template(
        "newspaper/issue.html",
        issue=issue,
        editable=draft and writable,
        picker=_picker(issue) if draft and writable else [],
        reach=audience.reach(audience.rows_of(issue)),
        may_review=admin_services.may_review(g.admin, issue),
        narrowing_labels=NARROWING_LABELS,
        publish_default=forms.local_input(issue.publish_at or forms.next_morning(utcnow())),
        preview_date=to_local(issue.published_at or issue.publish_at or issue.created_at),
    )


@bp.route("/<int:issue_id>", methods=["POST"])
@writer_required
def edit_issue(issue_id: int):
    issue = issue_of(issue_id, write=True)
    with refusals_flashed():
        fields = forms.issue_fields(request.form)
        admin_services.save_issue(g.admin, issue, title=fields.title, number=fields.number, urgent=fields.urgent)
        flash("已保存")
    return to_issue(issue)


@bp.route("/<int:issue_id>/delete", methods=["POST"])
@writer_required
def delete_issue(issue_id: int):
    issue = issue_of(issue_id, write=True)
    with refusals_flashed():
        label = f"第 {issue.number} 期“{issue.title}”"
        admin_services.delete_draft(g.admin, issue)
        flash(f"已删除草稿{label}")
        return redirect(url_for("newspaper.index"))
    return to_issue(issue)


@bp.route("/<int:issue_id>/audience", methods=["POST"])
@writer_required
def save_audience(issue_id: int):
    issue = issue_of(issue_id, write=True)
    with refusals_flashed():
        rows = workflow.set_audience(g.admin, issue, forms.targets(request.form))
        flash(f"已保存发送范围：{len(rows)} 个组织，共 {audience.reach(audience.rows_of(issue))} 名党员")
    return to_issue(issue, "audience")


@bp.route("/<int:issue_id>/reach")
@admin_required
def reach(issue_id: int):
    """The picker's live count (htmx): how many members the ticked organisations reach, before saving."""
    issue = issue_of(issue_id)
    try:
        count, problem = admin_services.reach_of(g.admin, issue, forms.targets(request.args)), None
    except AppError as refusal:
        if refusal.status in (401, 403, 404):
            raise
        count, problem = None, refusal.message
    return render_template("newspaper/_reach.html", count=count, problem=problem)
