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


def runs_text(months: list[date]) -> str:
    """Months as an admin reads them: runs of consecutive months as ranges.
    ``[2026-07 … 2026-11]`` → ``2026-07 至 2026-11（5 个月）``; ``[2026-01, 2026-03]`` → ``2026-01、2026-03``."""
    runs: list[list[date]] = []
    for month in sorted(set(months)):
        if runs and add_months(runs[-1][-1], 1) == month:
            runs[-1].append(month)
        else:
            runs.append([month])
    parts = [f"{run[0]:%Y-%m}" if len(run) == 1 else f"{run[0]:%Y-%m} 至 {run[-1]:%Y-%m}" for run in runs]
    text = "、".join(parts)
    return f"{text}（{len(set(months))} 个月）" if len(runs) == 1 and len(runs[0]) > 1 else text
