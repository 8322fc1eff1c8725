"""Demo political birthdays: in every branch a few members whose birthday falls this month (the first of them,
the secretary where there is one, today) and one next month, so the 政治生日 page has something to show;
today's are greeted as the daily job would, so the secretary's phone has a card in its inbox."""

from __future__ import annotations

from datetime import date, timedelta

from server.birthdays import delivery, services
from server.birthdays.dates import birthday_in
from server.db import utcnow
from server.members.models import Member, MemberStatus
from server.timezone import local_date

#: (years in the Party, days from today) of the branch's first members' political birthdays this month (kept
#: within it), then one on the 10th of next month
_PLACES = ((18, 0), (35, 6), (7, 13))
_NEXT_MONTH = 52


def _joined(day: date, years: int) -> date:
    return birthday_in(day, day.year - years)


def _days(today: date) -> list[tuple[int, date]]:
    last = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    this_month = [(years, min(today + timedelta(days=ahead), last)) for years, ahead in _PLACES]
    return [*this_month, (_NEXT_MONTH, (last + timedelta(days=1)).replace(day=10))]


def place_birthdays(members: list[Member]) -> None:
    """Move the join dates of a branch's first members (before they are written) onto this and next month."""
    today = local_date(utcnow())
    for member, (years, day) in zip(members, _days(today), strict=False):
        if member.birth_date is not None:  # joined at 19 at the earliest, so the register stays believable
            years = max(2, min(years, day.year - member.birth_date.year - 19))
        member.join_date = _joined(day, years)
        member.full_member_date = member.join_date + timedelta(days=365)
        member.status = MemberStatus.FULL


def greet_today() -> int:
    """Greet today's political birthdays and deliver the greetings, as the daily job does; how many."""
    now = utcnow()
    greeted = services.greet(local_date(now), now)
    delivery.deliver_pending(now)
    return greeted
