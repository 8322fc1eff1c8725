"""The member's card: opened from the inbox, their own only, and their birthday when there is no card yet."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from server.birthdays import tasks
from server.birthdays.dates import birthday_in
from server.birthdays.models import BirthdayGreeting
from server.db import db, utcnow
from server.inbox import services as inbox
from server.timezone import local_date
from tests.birthdays.conftest import beijing
from tests.contract import assert_documented


def _get(client, token: str, path: str):
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_the_card_shows_the_years_and_opening_it_marks_the_inbox_item_read(tree, make_celebrant, client):
    me = make_celebrant(tree["a1"], join_date=date(2005, 7, 1), full_member_date=date(2006, 7, 1))
    tasks.run(beijing(date(2026, 7, 1)))
    greeting_id = db.session.scalar(sa.select(BirthdayGreeting.id))
    response = _get(client, me.token, f"/api/birthday-greetings/{greeting_id}")
    assert_documented(client, "GET", "/api/birthday-greetings/{greeting_id}", response)
    card = response.get_json()
    assert card == {
        "id": greeting_id,
        "name": me.member.name,
        "join_date": "2005-07-01",
        "years": 21,
        "greeted_on": "2026-07-01",
        "line": "廿载风雨同舟，信念愈加坚定",
    }
    assert inbox.unread_counts(me.member.id)["birthday"] == 0


def test_another_members_card_is_missing(tree, make_celebrant, client):
    owner = make_celebrant(tree["a1"], join_date=date(2005, 7, 1), full_member_date=date(2006, 7, 1))
    other = make_celebrant(tree["a1"], join_date=date(2006, 8, 1), full_member_date=date(2007, 8, 1))
    tasks.run(beijing(date(2026, 7, 1)))
    greeting_id = db.session.scalar(sa.select(BirthdayGreeting.id))
    answer = _get(client, other.token, f"/api/birthday-greetings/{greeting_id}")
    missing = _get(client, other.token, f"/api/birthday-greetings/{greeting_id + 1000}")
    assert answer.status_code == missing.status_code == 404
    assert answer.get_json() == missing.get_json()
    assert_documented(client, "GET", "/api/birthday-greetings/{greeting_id}", answer)
    assert inbox.unread_counts(owner.member.id)["birthday"] == 1  # the owner's item stays unread


def test_my_birthday_says_when_the_next_one_comes(tree, make_celebrant, client):
    tomorrow = local_date(utcnow()) + timedelta(days=1)
    joined = birthday_in(tomorrow, tomorrow.year - 10)  # tomorrow, ten years ago
    me = make_celebrant(tree["a1"], join_date=joined, full_member_date=None)
    response = _get(client, me.token, "/api/me/birthday")
    assert_documented(client, "GET", "/api/me/birthday", response)
    mine = response.get_json()
    assert mine == {
        "join_date": joined.isoformat(),
        "next_birthday": birthday_in(joined, tomorrow.year).isoformat(),
        "years_in_party": 9,
        "greeting": None,
    }


def test_the_demo_has_this_months_birthdays_and_a_greeting_in_the_secretarys_inbox(app, demo):
    from server.auth.models import AdminUser
    from server.birthdays.services import count_month
    from server.members.models import Member, MemberStatus
    from server.orgs.models import Organisation

    today = local_date(utcnow())
    secretary = db.session.scalar(sa.select(AdminUser).where(AdminUser.username == "shuji1"))
    # the three the demo places in this month, and any of the branch's others whose join date falls in it
    branch = db.session.scalars(
        sa.select(Member)
        .join(Organisation, Organisation.id == Member.org_id)
        .where(Organisation.path.startswith(secretary.org.path))
    ).all()
    expected = [
        m
        for m in branch
        if m.status in (MemberStatus.FULL, MemberStatus.PROBATIONARY)
        and m.join_date.year < today.year
        and m.join_date.month == today.month
    ]
    assert count_month(secretary, today.year, today.month) == len(expected) >= 3
    [card] = inbox.list_items(secretary.member_id).items[:1]
    assert card.entry.title.startswith("您的第") and card.entry.title.endswith("个政治生日")
