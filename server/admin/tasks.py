"""The dashboard's periodic count of large subtrees (server/admin/dashboard_counts.py)."""

from __future__ import annotations

import logging

from huey import crontab

from server.admin import dashboard_counts
from server.tasks import periodic_job

log = logging.getLogger(__name__)


@periodic_job(crontab(minute="*"))
def count_dashboards() -> int:
    """Every minute: count the month of every large subtree for its 首页."""
    counted = dashboard_counts.refresh()
    if counted:
        log.info("dashboard: %s large subtrees counted", counted)
    return counted
