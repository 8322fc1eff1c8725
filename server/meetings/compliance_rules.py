"""What a branch must hold and when ("三会一课"): frequencies, calendar periods, and the state of one
requirement in one period.

Frequencies default to the 2018 branch work regulations (see DESIGN.md) and each deployment may
override them with ``MEETING_FREQUENCIES`` (kind → "month" | "quarter" | "year" | None to disable).
Months, quarters and years are the calendar periods of the display time zone (Asia/Shanghai by
default); stored times are UTC.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app

from server.auth.models import Role
from server.meetings.models import AttendanceStatus, MeetingKind
from server.timezone import display_zone

MONTH, QUARTER, YEAR = "month", "quarter", "year"
FREQUENCY_LABELS = {MONTH: "每月", QUARTER: "每季度", YEAR: "每年"}

DEFAULT_FREQUENCIES: dict[MeetingKind, str | None] = {
    MeetingKind.BRANCH_ASSEMBLY: QUARTER,
    MeetingKind.BRANCH_COMMITTEE: MONTH,
    MeetingKind.GROUP_MEETING: MONTH,  # per party group, only for branches that have groups
    MeetingKind.THEME_DAY: MONTH,
    MeetingKind.LIFE_MEETING: YEAR,
    MeetingKind.HEART_TALK: YEAR,
    MeetingKind.PARTY_LECTURE: QUARTER,
}

#: the order requirements are listed in (and the matrix's columns)
KIND_ORDER = (
    MeetingKind.BRANCH_ASSEMBLY,
    MeetingKind.BRANCH_COMMITTEE,
    MeetingKind.GROUP_MEETING,
    MeetingKind.PARTY_LECTURE,
    MeetingKind.THEME_DAY,
    MeetingKind.LIFE_MEETING,
    MeetingKind.HEART_TALK,
    MeetingKind.OTHER,
)

ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
#: the accounts whose members make up a branch committee
COMMITTEE_ROLES = (Role.SECRETARY, Role.COMMITTEE)


def meeting_frequencies(overrides: Mapping[str, str | None] | None = None) -> dict[MeetingKind, str]:
    """The frequencies in force: the defaults with the deployment's ``MEETING_FREQUENCIES`` applied.

    Kinds mapped to None are not required. An unknown kind or frequency is a configuration error.
    """
    if overrides is None:
        overrides = current_app.config.get("MEETING_FREQUENCIES") or {}
    merged: dict[MeetingKind, str | None] = dict(DEFAULT_FREQUENCIES)
    for key, value in overrides.items():
        try:
            kind = MeetingKind(key)
        except ValueError:
            raise ValueError(f"MEETING_FREQUENCIES: unknown meeting kind {key!r}") from None
        if value is not None and value not in FREQUENCY_LABELS:
            raise ValueError(f"MEETING_FREQUENCIES[{key!r}]: expected month, quarter, year or null, not {value!r}")
        merged[kind] = value
    return {kind: merged[kind] for kind in KIND_ORDER if merged.get(kind) is not None}  # type: ignore[misc]


@dataclass(frozen=True)
class Period:
    """A local calendar month, quarter or year; ``end`` is its last day."""

    label: str
    start: date
    end: date
    #: the label without the year, for a column header under the year's heading ("7月", "第3季度")
    short: str = ""

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def period_of(frequency: str, day: date) -> Period:
    """The calendar period of ``frequency`` that holds ``day``."""
    if frequency == MONTH:
        start = day.replace(day=1)
        following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        return Period(f"{day.year}年{day.month}月", start, following - timedelta(days=1), f"{day.month}月")
    if frequency == QUARTER:
        quarter = (day.month - 1) // 3 + 1
        start = date(day.year, 3 * quarter - 2, 1)
        following = date(day.year + 1, 1, 1) if quarter == 4 else date(day.year, 3 * quarter + 1, 1)
        return Period(f"{day.year}年第{quarter}季度", start, following - timedelta(days=1), f"第{quarter}季度")
    if frequency == YEAR:
        return Period(f"{day.year}年", date(day.year, 1, 1), date(day.year, 12, 31), "全年")
    raise ValueError(f"unknown frequency {frequency!r}")


def periods_between(frequency: str, start: date, end: date) -> list[Period]:
    """Every calendar period of ``frequency`` that overlaps ``start``..``end`` (both included)."""
    if end < start:
        raise ValueError("period_end is before period_start")
    periods = []
    day = start
    while day <= end:
        period = period_of(frequency, day)
        periods.append(period)
        day = period.end + timedelta(days=1)
    return periods


def local_midnight(day: date) -> datetime:
    """Start of a local day (display time zone), in UTC."""
    return datetime.combine(day, time.min, display_zone()).astimezone(UTC)


class State(enum.StrEnum):
    """Where one requirement stands: what a cell of the compliance matrix says."""

    HELD = "held"
    #: held, but recorded afterwards as 补录 only
    BACKFILLED = "backfilled"
    MISSING = "missing"
    #: the period has not ended and nothing was held yet
    NOT_DUE = "not_due"
    #: the branch (or party group) was set up in the system after the period began
    BEFORE = "before"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    State.HELD: "已开",
    State.BACKFILLED: "补录",
    State.MISSING: "未开",
    State.NOT_DUE: "未到期",
    State.BEFORE: "未建立",
}


def requirement_state(held: int, backfilled: int, period: Period, existed_from: date, today: date) -> State:
    """The one rule of a cell. A meeting held always counts, even in a period the branch was set up in;
    otherwise that period is not required, as the branch could not have met for all of it."""
    if held:
        return State.HELD
    if backfilled:
        return State.BACKFILLED
    if existed_from > period.start:
        return State.BEFORE
    if period.end >= today:
        return State.NOT_DUE
    return State.MISSING


def committee_quorum_note(day: date, present: int, committee_size: int) -> str | None:
    """None when a 支委会 counts: more than half of the branch committee present (or late); else why not.

    With no committee on record, any attendance at all makes it count.
    """
    when = f"{day.month}月{day.day}日"
    if committee_size:
        if present * 2 > committee_size:
            return None
        return f"{when}支委会到会未过半（{present}/{committee_size}），不计入"
    return None if present else f"{when}支委会无签到记录，不计入"
