"""Delivering greetings: an inbox row and a subscribe message for each greeting not delivered yet.

Repeatable like the newspaper's delivery: the inbox row and the push row are inserted with ON CONFLICT DO
NOTHING, a greeting is marked delivered in the same transaction, and on PostgreSQL two workers take
disjoint greetings (``SKIP LOCKED``). The push engine claims each push row once, so nobody gets the
message twice. This module also tells the inbox how a greeting is listed and what its push says.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

import sqlalchemy as sa

from server.birthdays.dates import line_for
from server.birthdays.models import BirthdayGreeting
from server.db import db, utcnow
from server.inbox import push
from server.inbox import services as inbox
from server.inbox.models import InboxKind
from server.inbox.sources import Entry, PushMessage, Source, register
from server.members.models import Member
from server.wechat import subscribe

log = logging.getLogger(__name__)
PURPOSE = "political_birthday"
#: greetings per transaction: a day's greetings of a committee of 140,000 are a few hundred
BATCH = 200


def title(years: int) -> str:
    return f"您的第{years}个政治生日"


def joined_text(join_date: date) -> str:
    return f"入党于{join_date.year}年{join_date.month}月{join_date.day}日"


def deliver_pending(now: datetime | None = None) -> int:
    """Inbox rows and push rows of every greeting not delivered yet, a batch per transaction; how many."""
    from server.inbox.tasks import start  # the jobs module imports the app's job queue

    now = now or utcnow()
    template = subscribe.template(PURPOSE)
    due = push.not_before(False, now)  # a greeting waits for the end of the quiet hours
    done = 0
    while True:
        batch = list(
            db.session.execute(
                sa.select(BirthdayGreeting.id, BirthdayGreeting.member_id)
                .where(BirthdayGreeting.delivered_at.is_(None))
                .order_by(BirthdayGreeting.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        if not batch:
            return done
        for greeting_id, member_id in batch:
            recipient = sa.select(Member.id).where(Member.id == member_id)
            inbox.deliver(InboxKind.BIRTHDAY, greeting_id, recipient, now=now)
            if template:
                push.create(InboxKind.BIRTHDAY, greeting_id, 0, template["template_id"], recipient, due=due, now=now)
                start(InboxKind.BIRTHDAY, greeting_id, 0, due)
        db.session.execute(
            sa.update(BirthdayGreeting)
            .where(BirthdayGreeting.id.in_([greeting_id for greeting_id, _ in batch]))
            .values(delivered_at=now)
        )
        db.session.commit()
        done += len(batch)
        log.info("political birthday greetings delivered: %s (pushes due %s)", len(batch), due or "now")


# --- what the inbox and the push engine know of greetings ------------------------------------------------


def _visible(ref_id: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    # a greeting is never withdrawn; the subquery keeps a row of a deleted greeting out of the list
    return ref_id.in_(sa.select(BirthdayGreeting.id))


def _describe(greeting_ids: list[int]) -> dict[int, Entry]:
    rows = db.session.execute(
        sa.select(BirthdayGreeting.id, BirthdayGreeting.years, BirthdayGreeting.join_date).where(
            BirthdayGreeting.id.in_(greeting_ids)
        )
    )
    return {
        row.id: Entry(
            title(row.years), f"入党于{row.join_date.year}年{row.join_date.month}月{row.join_date.day}日", None
        )
        for row in rows
    }


def _message(greeting_id: int) -> PushMessage | None:
    greeting = db.session.get(BirthdayGreeting, greeting_id)
    template = subscribe.template(PURPOSE)
    if greeting is None or template is None:
        return None
    values = {"title": title(greeting.years), "join_date": greeting.join_date, "wish": line_for(greeting.years)}
    return PushMessage(template, values, f"{template['page']}?id={greeting.id}")


register(Source(InboxKind.BIRTHDAY, visible=_visible, describe=_describe, message=_message))
