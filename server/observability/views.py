"""``/livez``, ``/readyz`` and ``/metrics`` (``/healthz``, for load balancers, stays in server/admin/views.py).

- ``/livez``: the process answers. Nothing else is checked: a restart is the cure only for a hung process.
- ``/readyz``: this instance can serve everything: PostgreSQL answers, and Redis when one is configured.
  503 with the name of what is down, never an address or an error text. For deploy scripts (wait for it
  before taking the next instance down) and alerts.
- ``/metrics``: Prometheus text format, for allowed scrapers only (server/observability/access.py).
"""

from __future__ import annotations

from flask import Blueprint, current_app, request

from server import health
from server.http import error_response
from server.observability import access, metrics

bp = Blueprint("observability", __name__)


@bp.route("/livez")
def livez():
    return {"ok": True}


@bp.route("/readyz")
def readyz():
    return health.readiness()


@bp.route("/metrics")
def scrape():
    if not access.allowed(request, current_app.config):
        return error_response("not_found", "请求的内容不存在", 404)
    return metrics.exposition(), 200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
