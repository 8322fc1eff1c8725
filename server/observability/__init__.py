"""What an operator watches: liveness and readiness, JSON logs carrying a request id into the jobs a
request queues, Prometheus metrics, and Sentry when a DSN is configured (deploy/README.md, "Observability").

Kept off the hot path's bill: per request, one id, two hook calls, one counter and one histogram
observation (bench/observability_overhead.py measures it).
"""

from __future__ import annotations

from flask import Flask

from server.observability import jobs, logs, metrics, request_ids, sentry


def init_app(app: Flask) -> None:
    """Before any other request hook: the id is set first, the timing covers the rest (commit included)."""
    logs.configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    sentry.init(app.config)
    request_ids.init_app(app)
    metrics.init_app(app)
    jobs.install()

    from server.observability.views import bp

    app.register_blueprint(bp)
