"""Prometheus metrics (prometheus_client), counted where things happen and read at ``/metrics``.

Under gunicorn every worker process counts on its own: with ``PROMETHEUS_MULTIPROC_DIR`` set (an empty
directory per service start, see deploy/README.md) prometheus_client keeps the values in files there
and ``/metrics`` adds up every process's. Without it (the embedded default, the tests) the process's
own registry is read. Labels are bounded: the Flask endpoint name, never the path (ids would make a
series per member); WeChat's errcode; a few fixed outcomes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from time import perf_counter

from flask import Flask, request

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if MULTIPROCESS_DIR:
    # Before the first metric: prometheus_client writes a file per process there from then on.
    os.makedirs(MULTIPROCESS_DIR, exist_ok=True)

from prometheus_client import (  # noqa: E402  (after the directory exists)
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily  # noqa: E402

REQUESTS = Counter("edangwu_http_requests_total", "Requests answered", ["endpoint", "method", "status"])
LATENCY = Histogram(
    "edangwu_http_request_duration_seconds",
    "Time from the first request hook to the answer, commit included",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CHECKINS = Counter("edangwu_checkins_total", "Check-in attempts by how they ended", ["method", "result"])
JOBS = Counter("edangwu_jobs_total", "Background jobs run, by outcome", ["job", "outcome"])
WECHAT_ERRORS = Counter("edangwu_wechat_errors_total", "WeChat API calls that failed, by errcode", ["errcode"])
PUSHES = Counter("edangwu_pushes_total", "Subscribe messages pushed, by outcome", ["outcome"])
PAYMENTS = Counter("edangwu_dues_payments_applied_total", "WeChat Pay orders applied to dues", ["status", "via"])

_STARTED = "edangwu.started"
#: (endpoint, method, status) → its counter and histogram: a dict lookup per request instead of labels()
_series: dict[tuple[str, str, int], tuple] = {}
#: endpoint label of a request that matched no route (404s of scanners and typos): one series, not one per path
UNMATCHED = "unmatched"


def init_app(app: Flask) -> None:
    @app.before_request
    def start_timer() -> None:
        request.environ[_STARTED] = perf_counter()

    @app.after_request
    def count_request(response):
        started = request.environ.get(_STARTED)
        rule = request.url_rule
        endpoint = rule.endpoint if rule is not None else UNMATCHED
        key = (endpoint, request.method, response.status_code)
        if (series := _series.get(key)) is None:
            series = _series[key] = (REQUESTS.labels(*key), LATENCY.labels(endpoint))
        series[0].inc()
        if started is not None:
            series[1].observe(perf_counter() - started)
        return response


def count_checkin(method: str, result: str) -> None:
    CHECKINS.labels(method, result).inc()


def count_wechat_error(errcode: int | None) -> None:
    WECHAT_ERRORS.labels(str(errcode)).inc()


def count_pushes(outcomes: Iterable[str]) -> None:
    for outcome in outcomes:
        PUSHES.labels(outcome).inc()


def count_payment(status: str, via: str) -> None:
    PAYMENTS.labels(status, via).inc()


class QueueDepth:
    """Jobs waiting in the queue, read when scraped (one LLEN on Redis): the same for every process."""

    def collect(self):
        from server.tasks import huey

        depth = GaugeMetricFamily("edangwu_job_queue_depth", "Jobs queued and not yet taken by a worker")
        try:
            depth.add_metric([], huey.pending_count())
        except Exception:  # the queue is down: say nothing rather than fail the whole scrape
            return
        yield depth


_QUEUE_DEPTH = QueueDepth()
_registry: CollectorRegistry | None = None


def registry() -> CollectorRegistry:
    """What ``/metrics`` and the worker's metrics port read: every process's values, and the queue depth."""
    global _registry
    if _registry is None:
        if MULTIPROCESS_DIR:
            _registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(_registry)
        else:
            _registry = REGISTRY
        _registry.register(_QUEUE_DEPTH)
    return _registry


def exposition() -> bytes:
    return generate_latest(registry())
