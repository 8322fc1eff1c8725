"""The daily greeting: exactly once a year per member, on the Beijing date, only for members in good standing,
in the inbox and pushed to those who allowed it."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from server.birthdays import tasks
from server.birthdays.models import BirthdayGreeting
from server.db import db
from server.inbox import services as inbox
from server.inbox.models import InboxItem, InboxKind, Push
from server.members.models import MemberStatus
from server.tasks import run_pending_jobs
from tests.birthdays.conftest import TEMPLATE, beijing

JULY_FIRST = date(2026, 7, 1)


def _greeted() -> list[tuple[int, int, int]]:
    rows = db.session.execute(
        sa.select(BirthdayGreeting.member_id, BirthdayGreeting.year, BirthdayGreeting.years).order_by(
            BirthdayGreeting.member_id, BirthdayGreeting.year
        )
    )
    return [tuple(row) for row in rows]


def test_the_job_run_twice_greets_each_member_once_and_pushes_once(tree, make_celebrant, make_member, emulator):
    celebrant = make_celebrant(tree["a1"], join_date=date(2005, 7, 1), full_member_date=date(2006, 7, 1))
    unbound = make_member(tree["b1"], join_date=date(1976, 7, 1), full_member_date=date(1977, 7, 1))
    make_member(tree["a1"], join_date=date(2005, 7, 2), full_member_date=date(2006, 7, 2))  # tomorrow

    assert tasks.run(beijing(JULY_FIRST)) == (2, 2)
    run_pending_jobs()
    assert tasks.run(beijing(JULY_FIRST, hour=10)) == (0, 0)  # the next hour's run, or a second worker
    run_pending_jobs()

    assert _greeted() == sorted([(celebrant.member.id, 2026, 21), (unbound.id, 2026, 50)])
    inboxes = db.session.scalars(sa.select(InboxItem.member_id).where(InboxItem.kind == InboxKind.BIRTHDAY))
    assert sorted(inboxes) == sorted([celebrant.member.id, unbound.id])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Push)) == 1  # only the bound member
    [message] = [m for m in emulator.messages(celebrant.openid) if m.template_id == TEMPLATE]
    greeting_id = db.session.scalar(
        sa.select(BirthdayGreeting.id).where(BirthdayGreeting.member_id == celebrant.member.id)
    )
    assert message.page == f"pages/birthday-card/index?id={greeting_id}"
    assert message.data["thing1"] == "您的第21个政治生日"
    assert message.data["date2"] == "2005-07-01"


def test_next_year_brings_the_next_greeting(tree, make_member):
    member = make_member(tree["a1"], join_date=date(2005, 7, 1), full_member_date=date(2006, 7, 1))
    tasks.run(beijing(JULY_FIRST))
    tasks.run(beijing(date(2027, 7, 1)))
    assert _greeted() == [(member.id, 2026, 21), (member.id, 2027, 22)]


def test_the_day_is_beijings_not_utcs(tree, make_member):
    member = make_member(tree["a1"], join_date=date(2005, 7, 1), full_member_date=date(2006, 7, 1))
    # 1 July 00:30 in Beijing is still 30 June in UTC
    assert tasks.run(beijing(JULY_FIRST, hour=0) + timedelta(minutes=30))[0] == 1
    assert tasks.run(beijing(JULY_FIRST, hour=0) - timedelta(minutes=30))[0] == 0  # 30 June 23:30 in Beijing
    assert _greeted() == [(member.id, 2026, 21)]


def test_a_leap_day_member_is_greeted_on_28_february_in_a_common_year(tree, make_member):
    leap = make_member(tree["a1"], join_date=date(2004, 2, 29), full_member_date=date(2005, 2, 28))
    ordinary = make_member(tree["a1"], join_date=date(2010, 2, 28), full_member_date=date(2011, 2, 28))
    tasks.run(beijing(date(2027, 2, 28)))
    assert _greeted() == sorted([(leap.id, 2027, 23), (ordinary.id, 2027, 17)])
    tasks.run(beijing(date(2028, 2, 28)))  # a leap year: the leap day member waits for the 29th
    assert _greeted() == sorted([(leap.id, 2027, 23), (ordinary.id, 2027, 17), (ordinary.id, 2028, 18)])
    tasks.run(beijing(date(2028, 2, 29)))
    assert (leap.id, 2028, 24) in _greeted()


def test_members_not_in_good_standing_are_not_greeted(tree, make_member):
    greeted = make_member(tree["a1"], join_date=date(2005, 7, 1), full_member_date=date(2006, 7, 1))
    probationary = make_member(  # probation extended: still a member, still greeted
        tree["a1"], join_date=date(2025, 7, 1), full_member_date=None, status=MemberStatus.PROBATIONARY
    )
    make_member(tree["a1"], join_date=date(2026, 7, 1), full_member_date=None, status=MemberStatus.PROBATIONARY)
    make_member(tree["a1"], join_date=None, full_member_date=None)  # no join date in the register
    dissolved = make_member(tree["a2"], join_date=date(2005, 7, 1), full_member_date=date(2006, 7, 1))
    tree["a2"].dissolved_at = beijing(date(2026, 6, 1))  # the branch was dissolved; its members await transfer
    db.session.commit()

    tasks.run(beijing(JULY_FIRST))
    assert _greeted() == sorted([(greeted.id, 2026, 21), (probationary.id, 2026, 1)])
    assert dissolved.id not in [row[0] for row in _greeted()]


def test_the_inbox_lists_the_greeting_with_its_years(tree, make_member):
    member = make_member(tree["a1"], join_date=date(1996, 7, 1), full_member_date=date(1997, 7, 1))
    tasks.run(beijing(JULY_FIRST))
    [listed] = inbox.list_items(member.id).items
    assert (listed.item.kind, listed.entry.title, listed.entry.subtitle) == (
        InboxKind.BIRTHDAY,
        "您的第30个政治生日",
        "入党于1996年7月1日",
    )
    assert inbox.unread_counts(member.id)["birthday"] == 1


def test_a_delivery_interrupted_after_the_greeting_was_written_is_finished_by_the_next_run(tree, make_member):
    from server.birthdays import services

    member = make_member(tree["a1"], join_date=date(2005, 7, 1), full_member_date=date(2006, 7, 1))
    services.greet(JULY_FIRST)  # the worker died before delivering
    db.session.commit()
    assert tasks.run(beijing(JULY_FIRST, hour=10)) == (0, 1)
    assert [listed.item.member_id for listed in inbox.list_items(member.id).items] == [member.id]
