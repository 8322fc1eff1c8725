"""The dashboard's figures: the member figures (server/members/stats.py) and the panels beside them —
this month's meetings, this month's dues and the newspaper's latest issue — each scoped to the admin's
subtree and linking to the page that explains it. Each domain counts its own panel per organisation
(meetings/month_summary.py, dues/collection.py, newspaper/latest.py); this gathers them.

A branch or general branch gets its figures counted now: its secretary watches arrivals and payments
come in. A large subtree (a committee of 140,000 members) reads the figures the periodic job counted
within the last minute (admin/dashboard_counts.py), and the page says when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.admin import dashboard_counts
from server.auth.scope import widest
from server.dues.collection import MonthCollection, month_collection
from server.dues.months import current_month
from server.meetings.month_summary import MeetingMonth, month_summary
from server.members import stats
from server.newspaper.latest import LatestReach, latest_reach
from server.orgs.models import Organisation


@dataclass(frozen=True)
class Panels:
    meetings: MeetingMonth
    dues: MonthCollection
    newspaper: LatestReach | None
    #: when the periodic job counted these figures (and the member figures); None: just now
    counted_at: datetime | None = None


def panels(scope_path: str) -> Panels:
    """The panels of the subtree at ``scope_path``, counted now."""
    month = current_month()
    path = widest(scope_path)  # a committee over the whole tree: its figures need no subtree condition
    return Panels(month_summary(path, month), month_collection(path, month), latest_reach(path))


def figures(scope_path: str, root: Organisation | None) -> tuple[dict, Panels]:
    """(member figures, panels) of the subtree at ``scope_path``: from the periodic job's summary for a
    large subtree, else counted now."""
    month = current_month()
    summary = dashboard_counts.stored(scope_path, month)
    if summary is None:
        return stats.dashboard(scope_path, root), panels(scope_path)
    counts = summary.counts
    return stats.figures(counts["members"], root, summary.units), Panels(
        MeetingMonth.of(month, counts["meetings"]),
        MonthCollection.of(month, counts["dues"]),
        summary.newspaper,
        counted_at=summary.counted_at,
    )
