"""Points for reading the mobile newspaper (手机报) to the end.

The newspaper (``server/newspaper/``) sends the blinker signal ``server.newspaper.signals.article_read``
with ``member_id``, ``article_id`` and ``at`` when a member has read an article to the end, inside the
request that recorded it. :func:`on_article_read` credits ``POINTS_PER_ARTICLE`` (reading, capped per day)
once per article: reading it again, or the signal sent twice, credits nothing more. The receiver is
connected by :func:`server.points.init_app` only where the newspaper is installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from datetime import datetime

from flask import current_app

from server.points.models import PointsSource
from server.points.services import award

log = logging.getLogger(__name__)
SIGNALS_MODULE = "server.newspaper.signals"


def on_article_read(sender, member_id: int, article_id: int, at: datetime | None = None, **_: object) -> int:
    points = current_app.config["POINTS_PER_ARTICLE"]
    return award(member_id, PointsSource.READING, f"article:{article_id}", points, at, note="阅读手机报文章")


def newspaper_installed() -> bool:
    """Whether the newspaper's signals module exists (it lands separately); its own errors are not hidden."""
    try:
        return importlib.util.find_spec(SIGNALS_MODULE) is not None
    except ModuleNotFoundError:  # no ``server.newspaper`` package at all
        return False


def connect() -> bool:
    """Connect the receiver to the newspaper's signal, if there is a newspaper; True when connected."""
    if not newspaper_installed():
        log.info("no newspaper installed: reading earns no points")
        return False
    signals = importlib.import_module(SIGNALS_MODULE)
    signals.article_read.connect(on_article_read, weak=False)  # connecting twice keeps one connection
    return True
