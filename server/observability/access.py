"""Who may read ``/metrics``: it names every endpoint and how busy the deployment is, so not the public.

Allowed: a scraper that connects straight to the app from an address in ``METRICS_ALLOW_IPS`` (default
loopback) without passing through a proxy, or any caller presenting ``Authorization: Bearer
<METRICS_TOKEN>``. A request relayed by nginx (it carries ``X-Forwarded-For``) is never allowed by its
address: behind nginx on the same machine every visitor would otherwise look like loopback.
Everyone else gets the 404 of a path that does not exist.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping
from typing import Any

from flask import Request

_RELAYED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def networks(setting: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in setting.split(",") if part.strip())


def allowed(request: Request, config: Mapping[str, Any]) -> bool:
    token = config.get("METRICS_TOKEN") or ""
    offered = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    if any(header in request.environ for header in _RELAYED):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in networks(config["METRICS_ALLOW_IPS"]))
