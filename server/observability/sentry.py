"""Error reports to Sentry (or a compatible server), only when ``SENTRY_DSN`` is set.

Nothing personal is sent (``send_default_pii`` off: no cookies, no member's address, no request body);
each event carries the request id, to find its lines in the logs. Huey jobs are reported too (the SDK's
Huey integration switches itself on).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.observability import request_ids

_initialised = False


def _with_request_id(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    if request_id := request_ids.current.get():
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def init(config: Mapping[str, Any]) -> None:
    global _initialised
    dsn = config.get("SENTRY_DSN")
    if not dsn or _initialised:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=config.get("SENTRY_ENVIRONMENT") or "production",
        release=config.get("SENTRY_RELEASE") or None,
        traces_sample_rate=config.get("SENTRY_TRACES_SAMPLE_RATE", 0.0),
        send_default_pii=False,
        integrations=[FlaskIntegration()],
        before_send=_with_request_id,
    )
    _initialised = True
