"""Parallel test runs (pytest -n): each worker gets its own PostgreSQL database and Redis db.

The suite empties its database and queue between tests, so two workers must never share them. Worker
``gw1`` of a run against ``…/test`` uses ``…/test_gw1`` (created on first use) and, against Redis db 0,
db 2. Without workers, or on SQLite (every process has its own temporary file), nothing changes.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

REDIS_DATABASES = 16  # Redis's default number of numbered databases
# Set once a worker's URLs are its own, so the servers and pytest runs it starts inherit them unchanged.
ISOLATED = "EDANGWU_TEST_WORKER"


def _create_database(url: sa.URL, name: str) -> None:
    engine = sa.create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError:
        pass  # unreachable: conftest's check stops the run with a clear message
    finally:
        engine.dispose()


def _own_database(url: str, worker: str) -> str:
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    _create_database(base, name)
    return base.set(database=name).render_as_string(hide_password=False)


def _own_redis_db(url: str, index: int) -> str:
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + 1 + index) % REDIS_DATABASES}"))


def isolate_worker() -> None:
    """Point DATABASE_URL and REDIS_URL at this worker's own database and Redis db."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or os.environ.get(ISOLATED) == worker:
        return
    os.environ[ISOLATED] = worker
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql")):
        os.environ["DATABASE_URL"] = _own_database(os.environ["DATABASE_URL"], worker)
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = _own_redis_db(os.environ["REDIS_URL"], int(worker.removeprefix("gw")))
