"""Mini-program points: 我的积分, and the leaderboards of my branch and my committee."""

from __future__ import annotations

import sqlalchemy as sa

from server.auth.current import current_identity, member_required
from server.db import db
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


def board_org(org_id: int, scope: str) -> BoardOrg:
    """My branch, or the nearest committee (党委) above it; the branch itself where there is none."""
    branch = db.session.get_one(Organisation, org_id)
    board = branch
    if scope != "branch":
        committee = db.session.scalar(
            sa.select(Organisation)
            .where(Organisation.id.in_(path_ids(branch.path or "/")), Organisation.kind == OrgKind.COMMITTEE)
            .order_by(Organisation.depth.desc())
            .limit(1)
        )
        board = committee or branch
    return BoardOrg(board.id, board.name, board.path)


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
