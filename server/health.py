"""What `/healthz` reports: can this instance serve right now?

nginx and the operator's monitoring poll it; a 503 takes the instance out of rotation and says which
dependency is down (never how it is configured: no addresses, no error text).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa

from server.config import redis_url
from server.db import db

log = logging.getLogger(__name__)


def _database() -> None:
    db.session.execute(sa.text("SELECT 1"))


def _job_queue() -> None:
    """Redis, where the queue, rate limits and login throttling live; the embedded SQLite queue is a local file."""
    if redis_url():
        from server.tasks import huey

        huey.storage.conn.ping()


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "jobs": _job_queue}


def _up(name: str, check: Callable[[], None]) -> bool:
    try:
        check()
    except Exception:  # any failure means "down"; the log keeps the reason for the operator
        log.warning("health check %s failed", name, exc_info=True)
        if name == "database":
            db.session.rollback()
        return False
    return True


def report() -> tuple[dict, int]:
    results = {name: _up(name, check) for name, check in CHECKS.items()}
    ok = all(results.values())
    return {"ok": ok, "checks": {name: "ok" if up else "down" for name, up in results.items()}}, 200 if ok else 503
