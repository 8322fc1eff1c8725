"""A committee's rules for notices (server/notices/rules.py): above which audience size a notice needs review
by a higher admin, and how many notices one account may send a day. Set on the committee (a root
organisation) by its admins; a branch cannot loosen the rules it is held to."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for

from server.admin.access import admin_required, writer_required
from server.auth.scope import require_org
from server.errors import AppError
from server.notices import forms, rules
from server.notices.views import bp, refusals_flashed
from server.orgs.services import get_org

ONLY_COMMITTEE = "通知规则由党委统一设置"


def _committee(org_id: int, *, write: bool = False):
    org = require_org(g.admin, get_org(org_id), write=write)
    if org.parent_id is not None:
        raise AppError("not_a_committee", ONLY_COMMITTEE, status=403)
    return org


@bp.route("/settings/<int:org_id>")
@admin_required
def settings_page(org_id: int):
    org = _committee(org_id)
    return render_template(
        "notices/settings.html",
        org=org,
        row=rules.settings_row(org),
        default_limit=current_app.config["NOTICE_DAILY_LIMIT"],
    )


@bp.route("/settings/<int:org_id>", methods=["POST"])
@writer_required
def save_settings(org_id: int):
    org = _committee(org_id, write=True)
    with refusals_flashed():
        review_above = forms.optional_count(request.form, "review_above")
        daily_limit = forms.optional_count(request.form, "daily_limit", minimum=1)
        rules.save(g.admin, org, review_above, daily_limit)
        flash("已保存通知规则")
    return redirect(url_for("notices.settings_page", org_id=org.id))
