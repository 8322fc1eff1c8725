"""Mini-program points: 我的积分, and the leaderboards of my branch and my committee."""

from __future__ import annotations

import sqlalchemy as sa

from server.auth.current import current_identity, member_required
from server.db import core_execute
from server.http import ApiBlueprint
from server.orgs.models import Organisation, OrgKind
from server.points import leaderboard, services
from server.points.leaderboard import BoardOrg, Period, path_ids
from server.points.models import SOURCE_LABELS
from server.points.schemas import LeaderboardQuerySchema, LeaderboardSchema, MyPointsSchema

blp = ApiBlueprint("points_api", __name__, url_prefix="/api", description="学习积分")
BEARER = [{"bearer": []}]


@blp.route("/me/points", methods=["GET"])
@member_required
@blp.response(200, MyPointsSchema)
@blp.doc(security=BEARER)
def my_points():
    """My learning points: the total, today's, both by source, the daily caps and the latest 20 entries."""
    summary = services.summary(current_identity().id)
    return {
        "total": summary.total,
        "today": summary.today,
        "by_source": summary.by_source,
        "today_by_source": summary.today_by_source,
        "daily_caps": summary.daily_caps,
        "recent": [
            {
                "source": entry.source.value,
                "label": SOURCE_LABELS[entry.source],
                "note": entry.note,
                "points": entry.points,
                "earned_on": entry.earned_on,
                "created_at": entry.created_at,
            }
            for entry in summary.recent
        ],
    }


_orgs = Organisation.__table__
_BOARD_COLUMNS = (_orgs.c.id, _orgs.c.name, _orgs.c.path)
_BRANCH = sa.select(*_BOARD_COLUMNS).where(_orgs.c.id == sa.bindparam("org_id"))
_NEAREST_COMMITTEE = (
    sa.select(*_BOARD_COLUMNS)
    .where(_orgs.c.id.in_(sa.bindparam("path_ids", expanding=True)), _orgs.c.kind == OrgKind.COMMITTEE)
    .order_by(_orgs.c.depth.desc())
    .limit(1)
)


def board_org(org_id: int, scope: str) -> BoardOrg:
    """My branch, or the nearest committee (党委) above it; the branch itself where there is none. Core
    statements: every member who opens 排行榜 asks."""
    branch = BoardOrg(*core_execute(_BRANCH, {"org_id": org_id}).one())
    if scope == "branch":
        return branch
    committee = core_execute(_NEAREST_COMMITTEE, {"path_ids": path_ids(branch.path or "/")}).first()
    return BoardOrg(*committee) if committee is not None else branch


@blp.route("/leaderboard", methods=["GET"])
@member_required
@blp.arguments(LeaderboardQuerySchema, location="query")
@blp.response(200, LeaderboardSchema)
@blp.doc(security=BEARER)
def my_leaderboard(query: dict):
    """The best 50 of my branch (``scope=branch``) or my committee (``scope=committee``), all time or this
    month (Beijing time), and where I stand. The best 50 may be a few seconds old
    (``LEADERBOARD_SHARED_S``); where I stand is read now."""
    identity = current_identity()
    scope, period = query["scope"], Period(query["period"])
    org = leaderboard.shared(("board", identity.org_id, scope), lambda: board_org(identity.org_id, scope))
    best = leaderboard.shared(("top", org.id, period), lambda: leaderboard.top(org, period))
    me = identity.id
    rank, points = leaderboard.standing(me, org, period)
    return {
        "scope": scope,
        "period": period.value,
        "org_name": org.name,
        "items": [
            {"rank": s.rank, "name": s.name, "org_name": s.org_name, "points": s.points, "is_me": s.member_id == me}
            for s in best
        ],
        "me": {"rank": rank, "points": points},
    }
