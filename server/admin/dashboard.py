"""The dashboard's panels beside the member figures: this month's meetings, this month's dues and the
newspaper's latest issue, each scoped to the admin's subtree and linking to the page that explains it.
Each domain computes its own panel (meetings/month_summary.py, dues/collection.py, newspaper/latest.py);
this only gathers them for the template.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.dues.collection import MonthCollection, month_collection
from server.dues.months import current_month
from server.meetings.month_summary import MeetingMonth, month_summary
from server.newspaper.latest import LatestReach, latest_reach


@dataclass(frozen=True)
class Panels:
    meetings: MeetingMonth
    dues: MonthCollection
    newspaper: LatestReach | None


def panels(scope_path: str) -> Panels:
    month = current_month()
    return Panels(month_summary(scope_path, month), month_collection(scope_path, month), latest_reach(scope_path))
