"""Admin pages of the branch boards (留言板): the posts of the boards in scope, waiting ones first; show
(approve or restore) and hide; a branch's choice to approve posts before they show."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from server.admin.access import page_number, writer_required
from server.auth.scope import scope_roots
from server.mailbox import board, forms, settings
from server.mailbox.models import POST_STATUS_LABELS
from server.mailbox.views import bp, refusals_flashed
from server.orgs import services as org_services
from server.orgs.models import OrgKind
from server.orgs.services import tree

#: branches listed in the settings box (a committee's admin sets a branch's choice from its own board page)
MAX_BRANCHES = 30
STEP_DONE = {"show": "留言已显示", "hide": "留言已隐藏，党员不再看到"}


def _branches(admin) -> list:
    """The branches whose board the admin moderates (their own, or those below their organisation)."""
    found = []
    for root in scope_roots(admin):
        found += [org for org in tree(root) if org.kind is OrgKind.BRANCH and org.dissolved_at is None]
    return found


@bp.route("/board")
@writer_required
def board_page():
    status = forms.post_status(request.args.get("status"))
    listing = board.for_moderation(g.admin, status, page_number())
    branches = _branches(g.admin)
    return render_template(
        "mailbox/board.html",
        listing=listing,
        status=status,
        labels=POST_STATUS_LABELS,
        branches=branches[:MAX_BRANCHES],
        premoderated={b.id: settings.premoderated(b.id) for b in branches[:MAX_BRANCHES]},
    )


@bp.route("/board/posts/<int:post_id>/<any(show, hide):step>", methods=["POST"])
@writer_required
def moderate(post_id: int, step: str):
    row = board.get_post(g.admin, post_id, write=True)
    with refusals_flashed():
        board.moderate(g.admin, row, step)
        flash(STEP_DONE[step])
    return redirect(url_for("mailbox.board_page"))


@bp.route("/board/settings", methods=["POST"])
@writer_required
def board_settings():
    with refusals_flashed():
        branch = org_services.get_org(forms.org_id(request.form))
        on = request.form.get("premoderation") == "1"
        settings.set_premoderation(g.admin, branch, on)
        flash(f"{branch.name}留言板：{'留言经审核后显示' if on else '留言直接显示'}")
    return redirect(url_for("mailbox.board_page"))
