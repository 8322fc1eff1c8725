"""The calendar of political birthdays: plain functions of dates, no database.

A political birthday is the anniversary of 入党日期 (``Member.join_date``: the day the branch meeting
accepted the member, the date the Party itself celebrates; 党龄 counted from 转正 is another figure).
A member who joined on 29 February is greeted on 28 February in a year without one.
"""

from __future__ import annotations

import calendar
from datetime import date

#: a short line for the card and the message, by whole years (the last one not above wins)
_LINES = (
    (1, "不忘入党初心，牢记党员身份"),
    (5, "五载初心如磐，奋斗正当时"),
    (10, "十年砥砺前行，初心始终如一"),
    (20, "廿载风雨同舟，信念愈加坚定"),
    (30, "三十年坚守，党性光辉闪耀"),
    (50, "光荣在党五十年，初心永恒"),
)


def birthday_in(join_date: date, year: int) -> date:
    """The day ``year``'s political birthday falls on (29 February → 28 February outside leap years)."""
    if join_date.month == 2 and join_date.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return join_date.replace(year=year)


def years_in_party(join_date: date, on: date) -> int:
    """Whole years since joining, on ``on`` (on the birthday itself, the birthday counts)."""
    years = on.year - join_date.year
    return years if on >= birthday_in(join_date, on.year) else years - 1


def anniversaries_on(day: date) -> list[tuple[int, int]]:
    """(month, day) of the join dates whose political birthday is ``day``: 28 February of a common year
    also greets those who joined on 29 February."""
    days = [(day.month, day.day)]
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        days.append((2, 29))
    return days


def line_for(years: int) -> str:
    chosen = _LINES[0][1]
    for at_least, line in _LINES:
        if years >= at_least:
            chosen = line
    return chosen


def month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)
