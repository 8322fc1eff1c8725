"""Admin page 积分排行: the learning-points leaderboard of any organisation in the admin's subtree."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from server.admin.access import admin_required, id_arg
from server.auth.scope import require_org, scope_roots
from server.errors import NotFound
from server.orgs import services as org_services
from server.orgs.models import Organisation, OrgKind
from server.points import leaderboard
from server.points.leaderboard import PERIOD_LABELS, Period

bp = Blueprint("points", __name__, url_prefix="/admin/points", template_folder="templates")
SHOWN = 100


def _node() -> Organisation:
    org_id = id_arg("org_id")
    if org_id is None:
        roots = scope_roots(g.admin)
        if not roots:
            raise NotFound("组织不存在或已撤销")
        return roots[0]
    return require_org(g.admin, org_services.get_org(org_id))


@bp.route("/")
@admin_required
def leaderboard_page():
    node = _node()
    period = Period(request.args.get("period")) if request.args.get("period") in ("all", "month") else Period.ALL
    roots = scope_roots(g.admin)
    orgs = [org for root in roots for org in org_services.tree(root) if org.kind is not OrgKind.GROUP]
    return render_template(
        "points/leaderboard.html",
        node=node,
        period=period,
        periods=PERIOD_LABELS,
        standings=leaderboard.top(node, period, SHOWN),
        orgs=orgs,
    )
