"""One id per request, in every log line it causes, in its answer's ``X-Request-ID`` header, and in the
jobs it queues (server/observability/jobs.py), so one grep follows a member's tap through the web log,
the worker's log and Sentry.

nginx sets ``X-Request-ID: $request_id`` (deploy/nginx.conf); the app takes it only from a proxy it
trusts (``TRUSTED_PROXIES`` > 0), and only if it looks like an id: otherwise a client could write what
it likes into our logs. Without one, the app makes its own.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, request

HEADER = "X-Request-ID"
_ENVIRON = "HTTP_X_REQUEST_ID"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
#: the job running in this thread, for its log lines (server/observability/jobs.py)
current_job: contextvars.ContextVar[str | None] = contextvars.ContextVar("job", default=None)


def new_id() -> str:
    return os.urandom(16).hex()  # 128 random bits: cheaper than uuid4(), as unique


def _from_proxy() -> str:
    offered = request.environ.get(_ENVIRON) if current_app.config["TRUSTED_PROXIES"] else None
    return offered if offered and _VALID.match(offered) else new_id()


@contextmanager
def bound(request_id: str | None, job: str | None = None) -> Iterator[None]:
    """Run a block (a job) under a request id and job name."""
    tokens = current.set(request_id), current_job.set(job)
    try:
        yield
    finally:
        current.reset(tokens[0])
        current_job.reset(tokens[1])


def init_app(app: Flask) -> None:
    @app.before_request
    def assign_request_id() -> None:
        request.environ["edangwu.request_id_token"] = current.set(_from_proxy())

    @app.after_request
    def answer_request_id(response):
        if request_id := current.get():
            response.headers[HEADER] = request_id
        return response

    @app.teardown_request
    def forget_request_id(error=None) -> None:
        # gunicorn's threads serve one request after another: no id may outlive its request.
        if (token := request.environ.pop("edangwu.request_id_token", None)) is not None:
            current.reset(token)
