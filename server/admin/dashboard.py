"""The dashboard's figures: the member figures (server/members/stats.py) and the panels beside them —
this month's meetings, this month's dues and the newspaper's latest issue — each scoped to the admin's
subtree and linking to the page that explains it. Each domain computes its own panel
(meetings/month_summary.py, dues/collection.py, newspaper/latest.py); this gathers them.

A large subtree's figures are kept for a minute. The committee of a 140,000-member group opens its 首页
many times a day; its figures count every member, bill and check-in of the month (p50 0.84 s on the
2-core development machine at 140,000 members, bench/dashboard_bench.py), so it answers from the last
minute's count instead, in well under the 50 ms it is allowed. The count is kept per process: the first
visit in a minute to each gunicorn worker still pays for it, until a faster count or a periodic summary
replaces this. A branch or general branch (below
``CACHED_FROM_ORGS`` organisations) always gets figures counted now: its secretary watches arrivals and
payments come in.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa

from server.auth.scope import widest, within
from server.db import db
from server.dues.collection import MonthCollection, month_collection
from server.dues.months import current_month
from server.meetings.month_summary import MeetingMonth, month_summary
from server.members import stats
from server.newspaper.latest import LatestReach, latest_reach
from server.orgs.models import Organisation

#: subtrees of at least this many organisations get figures up to ``KEPT_SECONDS`` old
CACHED_FROM_ORGS = 500
KEPT_SECONDS = 60.0

_kept: dict[str, tuple[float, dict, Panels]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Panels:
    meetings: MeetingMonth
    dues: MonthCollection
    newspaper: LatestReach | None


def panels(scope_path: str) -> Panels:
    month = current_month()
    path = widest(scope_path)  # a committee over the whole tree: its figures need no subtree condition
    return Panels(month_summary(path, month), month_collection(path, month), latest_reach(path))


def figures(scope_path: str, root: Organisation | None) -> tuple[dict, Panels]:
    """(member figures, panels) of the subtree at ``scope_path``: counted now, or within the last minute
    for a large subtree."""
    if not _large(scope_path):
        return stats.dashboard(scope_path, root), panels(scope_path)
    key = f"{scope_path}|{current_month()}"
    now = time.monotonic()
    kept = _kept.get(key)
    if kept is not None and now - kept[0] < KEPT_SECONDS:
        return kept[1], kept[2]
    counted = stats.dashboard(scope_path, root), panels(scope_path)
    with _lock:
        _kept[key] = (now, *counted)
    return counted


def _large(scope_path: str) -> bool:
    """At least ``CACHED_FROM_ORGS`` organisations in the subtree (an index range, stopped at the limit)."""
    some = sa.select(Organisation.id).where(within(scope_path)).limit(CACHED_FROM_ORGS).subquery()
    return (db.session.scalar(sa.select(sa.func.count()).select_from(some)) or 0) >= CACHED_FROM_ORGS
