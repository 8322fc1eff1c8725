"""Review of notices whose audience is above the committee's size: the queue of an admin of a higher
organisation, approve (sent now, or at its time) or reject with a reason. The author may not review."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from server.admin.access import admin_required, writer_required
from server.notices import services
from server.notices.views import bp, notice_of, refusals_flashed, to_notice


@bp.route("/review")
@admin_required
def review_queue():
    return render_template(
        "notices/review.html", notices=services.review_queue(g.admin) if g.admin.role.can_write else []
    )


@bp.route("/<int:notice_id>/approve", methods=["POST"])
@writer_required
def approve(notice_id: int):
    notice = notice_of(notice_id)
    with refusals_flashed():
        services.approve(g.admin, notice)
        flash("审核通过" + ("，已发送" if notice.sent_at else "，将按时发送"))
        return redirect(url_for("notices.review_queue"))
    return to_notice(notice)


@bp.route("/<int:notice_id>/reject", methods=["POST"])
@writer_required
def reject(notice_id: int):
    notice = notice_of(notice_id)
    with refusals_flashed():
        services.reject(g.admin, notice, request.form.get("note", ""))
        flash("已退回，通知不会发送")
        return redirect(url_for("notices.review_queue"))
    return to_notice(notice)
