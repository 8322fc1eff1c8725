"""Dues months: the first day of a local (Asia/Shanghai) calendar month, as a ``date`` (see models.py)."""

from __future__ import annotations

from datetime import date, datetime

from server.db import utcnow
from server.timezone import local_date


def month_of(day: date | datetime) -> date:
    """The month a day (or a UTC moment, taken in local time) falls in."""
    if isinstance(day, datetime):
        day = local_date(day)
    return day.replace(day=1)


def current_month(now: datetime | None = None) -> date:
    return month_of(now or utcnow())


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every month from ``first`` to ``last``, both included (empty when ``first`` is later)."""
    months, month = [], month_of(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def parse_month(text: str) -> date:
    """``2026-12`` → 2026-12-01; ValueError otherwise."""
    year, month = (int(part) for part in text.strip().split("-"))
    if not 2000 <= year <= 2100:
        raise ValueError(text)
    return date(year, month, 1)
