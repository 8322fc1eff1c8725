"""Admin pages of the newspaper: submitting for review, the review queue, approving or sending back,
publishing now or at a Beijing time, withdrawing, and the live delivery progress.

Who may do what is the workflow's rule (server/newspaper/workflow.py): a reviewer of the same or a higher
organisation who is not the author; publishing needs every audience subtree in the admin's scope.
"""

from __future__ import annotations

from flask import flash, g, render_template, request

from server.admin.access import admin_required, writer_required
from server.newspaper import admin_services, forms, stats, workflow
from server.newspaper.models import IssueStatus
from server.newspaper.views import bp, issue_of, refusals_flashed, to_issue

#: seconds between the progress page's polls while the issue is being delivered, and afterwards (reads)
POLL_DELIVERING = 2
POLL_SETTLED = 30


@bp.route("/review")
@admin_required
def review_queue():
    return render_template("newspaper/review.html", issues=admin_services.review_queue(g.admin))


@bp.route("/<int:issue_id>/submit", methods=["POST"])
@writer_required
def submit(issue_id: int):
    issue = issue_of(issue_id, write=True)
    with refusals_flashed():
        workflow.submit(g.admin, issue)
        flash("已提交审核；本级或上级组织的其他管理员审核通过后即可发布")
    return to_issue(issue)


@bp.route("/<int:issue_id>/approve", methods=["POST"])
@writer_required
def approve(issue_id: int):
    issue = issue_of(issue_id)
    with refusals_flashed():
        workflow.approve(g.admin, issue, request.form.get("note", ""))
        flash(f"第 {issue.number} 期已审核通过，可以发布")
    return to_issue(issue)


@bp.route("/<int:issue_id>/send-back", methods=["POST"])
@writer_required
def send_back(issue_id: int):
    issue = issue_of(issue_id)
    with refusals_flashed():
        workflow.send_back(g.admin, issue, request.form.get("note", ""))
        flash(f"已将第 {issue.number} 期退回给作者修改")
    return to_issue(issue)


@bp.route("/<int:issue_id>/publish", methods=["POST"])
@writer_required
def publish(issue_id: int):
    issue = issue_of(issue_id, write=True)
    with refusals_flashed():
        at = forms.local_time(request.form.get("publish_at")) if request.form.get("when") == "at" else None
        admin_services.publish(g.admin, issue, at)
        if issue.status is IssueStatus.PUBLISHED:
            flash(f"第 {issue.number} 期已发布，正在送达党员的消息列表")
        else:
            flash("已设定定时发布")
    return to_issue(issue)


@bp.route("/<int:issue_id>/unschedule", methods=["POST"])
@writer_required
def unschedule(issue_id: int):
    issue = issue_of(issue_id, write=True)
    with refusals_flashed():
        admin_services.unschedule(g.admin, issue)
        flash("已取消定时发布")
    return to_issue(issue)


@bp.route("/<int:issue_id>/withdraw", methods=["POST"])
@writer_required
def withdraw(issue_id: int):
    issue = issue_of(issue_id, write=True)
    with refusals_flashed():
        workflow.withdraw(g.admin, issue)
        flash(f"第 {issue.number} 期已撤回：党员的消息列表中不再显示，尚未发出的推送已取消")
    return to_issue(issue)


# --- delivery progress ---------------------------------------------------------------------------------------


def _progress_context(issue) -> dict:
    figures = stats.delivery_progress(issue)
    delivering = issue.status is IssueStatus.PUBLISHED and (issue.delivered_at is None or figures.waiting > 0)
    poll = None
    if issue.status is IssueStatus.PUBLISHED:
        poll = POLL_DELIVERING if delivering else POLL_SETTLED
    return {
        "issue": issue,
        "figures": figures,
        "delivering": delivering,
        "poll": poll,
        "quiet_until": stats.pushes_wait_until(issue),
    }


@bp.route("/<int:issue_id>/progress")
@admin_required
def progress(issue_id: int):
    return render_template("newspaper/progress.html", **_progress_context(issue_of(issue_id)))


@bp.route("/<int:issue_id>/progress/counts")
@admin_required
def progress_counts(issue_id: int):
    """The counts alone (htmx polling); the fragment carries its own next poll, slower once delivered."""
    return render_template("newspaper/_progress.html", **_progress_context(issue_of(issue_id)))
