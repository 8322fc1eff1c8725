"""Points jobs: the leaderboards rebuilt from the ledger every night (see ``leaderboard.py`` for why)."""

from __future__ import annotations

import logging

from huey import crontab

from server.db import db
from server.points import leaderboard
from server.tasks import job, periodic_job

log = logging.getLogger(__name__)


def rebuild_leaderboards() -> int:
    written = leaderboard.rebuild()
    db.session.rollback()  # it only read
    log.info("leaderboards rebuilt from the ledger: %d boards", written)
    return written


@periodic_job(crontab(minute="31", hour="19"), retries=2, retry_delay=300)  # UTC: 03:31 in Beijing
def nightly_leaderboards() -> int:
    return rebuild_leaderboards()


@job(retries=2, retry_delay=60)
def rebuild_leaderboards_job() -> int:
    """Queued when Redis answers again after an outage: the increments it missed are in the ledger."""
    return rebuild_leaderboards()
