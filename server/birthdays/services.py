"""Greeting members on their political birthday, and what the secretary and the member see of it.

The daily job (:mod:`server.birthdays.tasks`) calls :func:`greet` with the local date. Greetings are
inserted with one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` on (member, year): a second run that day,
a run on another worker at the same moment, or a run after a crash changes nothing. Their inbox rows and
pushes are made by :func:`server.birthdays.delivery.deliver_pending`, which is just as repeatable.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from server.auth.models import AdminUser
from server.auth.scope import in_scope
from server.birthdays.dates import anniversaries_on, birthday_in, line_for, years_in_party
from server.birthdays.models import BirthdayGreeting, BirthdayInvitation
from server.db import db, utcnow
from server.errors import NotFound
from server.inbox.services import insert_ignoring_duplicates
from server.meetings.models import Meeting
from server.members.models import Member, MemberStatus
from server.orgs.models import Organisation

#: statuses of a member in good standing, who is greeted and listed. Both of today's statuses are; a
#: status added later (left the Party, deceased) is left out until it is named here.
ACTIVE_STATUSES = (MemberStatus.PROBATIONARY, MemberStatus.FULL)
GREETING_MISSING = "贺卡不存在"

_greetings = BirthdayGreeting.__table__


def _active() -> sa.ColumnElement[bool]:
    """A member in good standing in a live branch (a dissolved branch's members await their transfer)."""
    return sa.and_(
        Member.status.in_(ACTIVE_STATUSES),
        Member.join_date.is_not(None),
        Member.org_id.in_(sa.select(Organisation.id).where(Organisation.dissolved_at.is_(None))),
    )


def _joined_in(months_days: list[tuple[int, int]]) -> sa.ColumnElement[bool]:
    return sa.or_(
        *(
            sa.and_(sa.extract("month", Member.join_date) == month, sa.extract("day", Member.join_date) == day)
            for month, day in months_days
        )
    )


def due_on(day: date) -> sa.Select:
    """Members whose political birthday is ``day`` (one year in the Party at least)."""
    return sa.select(Member.id).where(
        _active(), Member.join_date < date(day.year, 1, 1), _joined_in(anniversaries_on(day))
    )


def greet(day: date, now: datetime | None = None) -> int:
    """Write this year's greeting of every member whose political birthday is ``day``; how many were new."""
    now = now or utcnow()
    rows = due_on(day).add_columns(
        sa.literal(day.year),
        Member.join_date,
        sa.literal(day.year) - sa.cast(sa.extract("year", Member.join_date), sa.Integer),
        sa.literal(day, type_=_greetings.c.greeted_on.type),
        sa.literal(now, type_=_greetings.c.created_at.type),
    )
    statement = insert_ignoring_duplicates(_greetings).from_select(
        ["member_id", "year", "join_date", "years", "greeted_on", "created_at"], rows
    )
    return len(db.session.execute(statement.on_conflict_do_nothing().returning(_greetings.c.id)).all())


# --- the member's card ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    id: int
    name: str
    join_date: date
    years: int
    greeted_on: date
    line: str


def card_of(greeting: BirthdayGreeting) -> Card:
    return Card(
        greeting.id,
        greeting.member.name,
        greeting.join_date,
        greeting.years,
        greeting.greeted_on,
        line_for(greeting.years),
    )


def greeting_for(member_id: int, greeting_id: int) -> BirthdayGreeting:
    """The member's own greeting; another member's answers exactly as a missing one."""
    greeting = db.session.get(BirthdayGreeting, greeting_id)
    if greeting is None or greeting.member_id != member_id:
        raise NotFound(GREETING_MISSING)
    return greeting


@dataclass(frozen=True)
class MyBirthday:
    join_date: date | None
    next_birthday: date | None
    years_in_party: int | None
    greeting: Card | None


def my_birthday(member: Member, today: date) -> MyBirthday:
    """The member's political birthday as the card page shows it without a greeting to open: this year's
    greeting if there is one, and when the next birthday comes."""
    if member.join_date is None:
        return MyBirthday(None, None, None, None)
    greeting = db.session.scalar(
        sa.select(BirthdayGreeting)
        .where(BirthdayGreeting.member_id == member.id)
        .order_by(BirthdayGreeting.year.desc())
        .limit(1)
    )
    upcoming = birthday_in(member.join_date, today.year)
    if upcoming < today:
        upcoming = birthday_in(member.join_date, today.year + 1)
    years = max(years_in_party(member.join_date, today), 0)
    return MyBirthday(member.join_date, upcoming, years, card_of(greeting) if greeting else None)


# --- the secretary's month ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Birthday:
    member: Member
    branch: Organisation
    day: date
    years: int
    greeted: bool
    meeting: Meeting | None


def month_query(admin: AdminUser, year: int, month: int, branch_id: int | None = None) -> sa.Select:
    """The members in ``admin``'s scope whose political birthday falls in the month, by branch and day."""
    query = (
        sa.select(Member)
        .join(Organisation, Organisation.id == Member.org_id)
        .where(
            _active(),
            in_scope(Member.org_id, admin),
            Member.join_date < date(year, 1, 1),
            sa.extract("month", Member.join_date) == month,
        )
    )
    if branch_id is not None:
        query = query.where(Member.org_id == branch_id)
    return query.order_by(Organisation.path, sa.extract("day", Member.join_date), Member.name_sort, Member.id)


def count_month(admin: AdminUser, year: int, month: int, branch_id: int | None = None) -> int:
    query = month_query(admin, year, month, branch_id).order_by(None).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(query)) or 0


def describe(members: list[Member], year: int) -> list[Birthday]:
    """Each member's birthday that year, whether greeted, and the 主题党日 held for them, if any."""
    ids = [member.id for member in members]
    greeted = set(
        db.session.scalars(
            sa.select(BirthdayGreeting.member_id).where(
                BirthdayGreeting.member_id.in_(ids), BirthdayGreeting.year == year
            )
        )
    )
    meetings = {
        member_id: meeting
        for member_id, meeting in db.session.execute(
            sa.select(BirthdayInvitation.member_id, Meeting)
            .join(Meeting, Meeting.id == BirthdayInvitation.meeting_id)
            .where(
                BirthdayInvitation.member_id.in_(ids),
                BirthdayInvitation.year == year,
                Meeting.cancelled_at.is_(None),
            )
            .order_by(Meeting.starts_at)
        )
    }
    return [
        Birthday(
            member,
            member.org,
            birthday_in(member.join_date, year),
            year - member.join_date.year,
            member.id in greeted,
            meetings.get(member.id),
        )
        for member in members
    ]


def month_page(admin: AdminUser, year: int, month: int, page: int, per_page: int, branch_id: int | None = None):
    query = month_query(admin, year, month, branch_id).options(contains_eager(Member.org))
    members = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return describe(members, year)


def iter_month(admin: AdminUser, year: int, month: int, batch: int = 1000) -> Iterator[Birthday]:
    """Every birthday of the month in scope, a batch at a time (an export of a whole committee's month)."""
    offset = 0
    while True:
        query = month_query(admin, year, month).options(contains_eager(Member.org))
        members = list(db.session.scalars(query.limit(batch).offset(offset)))
        if not members:
            return
        yield from describe(members, year)
        offset += batch
