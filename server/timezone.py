"""The display time zone: times are stored in UTC and shown (and counted by day, month and quarter) in
the deployment's ``DISPLAY_TIMEZONE``, Asia/Shanghai by default. One place reads the setting."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from server.config import display_timezone
from server.db import utcnow


def display_zone() -> ZoneInfo:
    """The app's setting; outside an app (a script, a module-level constant) the environment's."""
    name = current_app.config["DISPLAY_TIMEZONE"] if has_app_context() else display_timezone()
    return ZoneInfo(name)  # ZoneInfo caches: no file read per call


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(display_zone())


def local_date(moment: datetime) -> date:
    return to_local(moment).date()


def local_today() -> date:
    """Today in the display time zone: the day reports and "this month" are counted from."""
    return local_date(utcnow())
