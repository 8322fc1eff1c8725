"""What `/healthz` reports: can this instance serve right now?

Monitoring polls it and reads which dependency is down (never how it is configured: no addresses, no
error text). Only a database this instance cannot reach makes it 503, the answer that takes an instance
out of rotation: with Redis down, members still check in and pay through every instance (admin pages
answer 503 themselves), and taking every instance out because of a shared dependency would stop them too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa

from server.config import redis_timeout, redis_url
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


def _redis() -> None:
    """A connection of its own, made for the probe: it sees what a new request would see."""
    import redis

    timeout = redis_timeout()
    client = redis.Redis.from_url(redis_url() or "", socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def readiness() -> tuple[dict, int]:
    """``/readyz``: every dependency this instance serves with, so 503 as soon as one is down (unlike
    ``report``, which keeps an instance in the load balancer's rotation while only Redis is down)."""
    checks = {"database": _database}
    if redis_url():
        checks["redis"] = _redis
    results = {name: _up(name, check) for name, check in checks.items()}
    body = {"ok": all(results.values()), "checks": {name: "ok" if up else "down" for name, up in results.items()}}
    return body, 200 if body["ok"] else 503


def report() -> tuple[dict, int]:
    results = {name: _up(name, check) for name, check in CHECKS.items()}
    body = {"ok": all(results.values()), "checks": {name: "ok" if up else "down" for name, up in results.items()}}
    return body, 200 if results["database"] else 503
