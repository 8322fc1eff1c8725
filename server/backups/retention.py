"""Which backups to keep: the newest of each of the last N days that have one, and of each of the last M
ISO weeks. Everything else is deleted after each new backup. Pure: names in, names out."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

PREFIX = "edangwu-"
_NAME = re.compile(r"^edangwu-(\d{8}T\d{6}Z)$")


def name_for(moment: datetime) -> str:
    return PREFIX + moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def taken_at(name: str) -> datetime | None:
    match = _NAME.match(name)
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) if match else None


def to_keep(names: Iterable[str], keep_daily: int, keep_weekly: int) -> set[str]:
    """The backups to keep among ``names`` (names that are not backups are never touched, so kept)."""
    dated = sorted(((when, name) for name in names if (when := taken_at(name))), reverse=True)
    keep = {name for name in names if taken_at(name) is None}
    days: set = set()
    weeks: set = set()
    for when, name in dated:  # newest first: the first seen of a day or week is its newest
        day, week = when.date(), when.isocalendar()[:2]
        if day not in days and len(days) < keep_daily:
            days.add(day)
            keep.add(name)
        if week not in weeks and len(weeks) < keep_weekly:
            weeks.add(week)
            keep.add(name)
    if dated:
        keep.add(dated[0][1])  # the newest, whatever the settings say
    return keep
