"""Connections and forks: gunicorn builds the app once in its master (``preload_app``) and forks workers from it.

A connection opened before the fork would be shared by every worker: two processes writing one
PostgreSQL or Redis socket interleave their messages and read each other's answers. Nothing in
``create_app`` connects, but a later change might; so the master drops whatever it holds once the app is
loaded (``drop_connections``), and each new worker forgets the pools it inherited (``forget_inherited``).
deploy/gunicorn.conf.py calls both.
"""

from __future__ import annotations

import gc

from flask import Flask

from server.db import db


def _engines(app: Flask) -> list:
    with app.app_context():
        return list(db.engines.values())


def _redis_pools() -> list:
    # Every Redis pool the app made (sessions, rate limits, the job queue, the shared WeChat token, the
    # leaderboards), found without each module having to register it. Run once in the master, not per worker.
    from redis import ConnectionPool

    return [obj for obj in gc.get_objects() if isinstance(obj, ConnectionPool)]


def drop_connections(app: Flask) -> None:
    """In the master, after loading the app: close every database and Redis connection it opened."""
    for engine in _engines(app):
        engine.dispose()
    for pool in _redis_pools():
        pool.disconnect()


def forget_inherited(app: Flask) -> None:
    """In a worker, just after the fork: pools start empty. ``close=False``: the parent's connections are
    left alone (closing them here would close them under the parent), only forgotten."""
    for engine in _engines(app):
        engine.dispose(close=False)
    # redis-py pools notice the new pid on first use and drop inherited connections themselves.
