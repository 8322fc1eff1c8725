"""Background jobs on Huey: a SQLite queue on one box, Redis across many, the same task code.

Why Huey: it runs on SQLite and on Redis with one API, has retries and cron-style periodic tasks
built in, and its consumer is a single small process. Celery's SQLite broker is experimental.

Rules every job follows:
- a job receives ids, never ORM objects, and loads what it needs in its own app context;
- a job is enqueued only after the request's transaction commits (``enqueue_after_commit``), so a
  worker never sees a row that was rolled back or not yet visible;
- the queue may lose a job: it cannot be queued (Redis down) or its worker dies with it in hand (the
  queue hands a job over once, with no acknowledgement). So the database, not the queue, says what is
  left to do, a periodic sweep queues it again (``requeue_stalled_imports``, ``queue_reminders``), and
  running a job twice changes nothing twice.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import RedisHuey, SqliteHuey
from redis import ConnectionPool
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.config import instance_dir, redis_timeout, redis_url
from server.observability import request_ids

log = logging.getLogger(__name__)

#: seconds a worker waits on an empty Redis queue before looking again
_READ_TIMEOUT = 1


def _redis_pool(url: str) -> ConnectionPool:
    # A blocking read waits up to _READ_TIMEOUT by design; the socket must wait longer than that.
    timeout = max(redis_timeout(), _READ_TIMEOUT + 1)
    return ConnectionPool.from_url(url, socket_connect_timeout=redis_timeout(), socket_timeout=timeout)


def _make_huey():
    name = os.environ.get("HUEY_NAME", "edangwu")
    if url := redis_url():
        return RedisHuey(name, connection_pool=_redis_pool(url), read_timeout=_READ_TIMEOUT)
    filename = os.environ.get("JOBS_DB") or str(instance_dir() / "jobs.db")
    return SqliteHuey(name, filename=filename)


huey = _make_huey()

_worker_app: Flask | None = None


def _app_for_job() -> Flask:
    """The current app when a job runs inside one (tests), else one app per worker process."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _worker_app is None:
        from server import create_app

        _worker_app = create_app()
    return _worker_app


def job(**task_options: Any) -> Callable:
    """Declare a background job. It runs in a fresh app context with its own database session."""

    def decorator(fn: Callable) -> Any:
        name = f"{fn.__module__.removeprefix('server.')}.{fn.__name__}"

        @functools.wraps(fn)
        def run_in_app_context(*args: Any, _request_id: str | None = None, **kwargs: Any) -> Any:
            # The id of the request that queued the job (server/observability/jobs.py) marks its log lines.
            with request_ids.bound(_request_id, name), _app_for_job().app_context():
                started = time.perf_counter()
                result = fn(*args, **kwargs)
                log.info("job %s done in %.3f s", name, time.perf_counter() - started)
                return result

        # functools.wraps keeps the job's own module and name, so Huey registers "server.x.tasks.fn".
        return huey.task(carries_request_id=True, **task_options)(run_in_app_context)

    return decorator


def periodic_job(schedule: Callable, **task_options: Any) -> Callable:
    """Declare a cron-style job (``huey.crontab(...)``), run like any job in its own app context."""

    def decorator(fn: Callable) -> Any:
        @functools.wraps(fn)
        def run_in_app_context() -> Any:
            with _app_for_job().app_context():
                return fn()

        return huey.periodic_task(schedule, **task_options)(run_in_app_context)

    return decorator


def enqueue_after_commit(task: Callable, *args: Any) -> None:
    """Queue ``task(*args)`` to run once the current transaction commits; drop it on rollback."""
    from server.db import db

    db.session().info.setdefault("pending_jobs", []).append((task, args))


@event.listens_for(Session, "after_commit")
def _enqueue_pending_jobs(session: Session) -> None:
    for task, args in session.info.pop("pending_jobs", []):
        try:
            task(*args)
        except Exception:
            # The data is committed and the user is told so; the job is not lost but waits for the
            # sweep that queues again what the database says is left to do (see the module's rules).
            log.exception("could not queue %s%r: the periodic sweep will queue it again", _job_name(task), args)


def _job_name(task: Any) -> str:
    job_class = getattr(task, "task_class", None)
    return f"{job_class.__module__}.{job_class.__name__}" if job_class else repr(task)


@event.listens_for(Session, "after_rollback")
def _drop_pending_jobs(session: Session) -> None:
    session.info.pop("pending_jobs", None)


def run_pending_jobs(limit: int = 100) -> int:
    """Run queued jobs in this process until the queue is empty; for tests and the demo seeder."""
    ran = 0
    while ran < limit and huey.pending_count():
        task = huey.dequeue()
        if task is None:
            break
        huey.execute(task)
        ran += 1
    return ran
