"""A member's greeting on each political birthday, and the members a birthday 主题党日 was held for."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import UTCDateTime, db, utcnow
from server.members.models import Member


class BirthdayGreeting(db.Model):
    """One greeting per member per year: the unique key is what makes the daily job exactly-once, however
    often it runs and on however many workers.

    Not audited row by row: the system writes it (no admin acts), like the inbox row it announces.
    """

    __tablename__ = "birthday_greetings"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "year", name="uq_birthday_greetings_member_year"),
        sa.CheckConstraint("years >= 1", name="years_positive"),
        # the sweep: greetings whose inbox row and push were not made yet
        sa.Index("ix_birthday_greetings_undelivered", "delivered_at", "id"),
    )

    #: surrogate key; the inbox's ``ref_id`` for kind ``birthday``
    id: Mapped[int] = mapped_column(primary_key=True)
    #: who is greeted
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    #: the year of this political birthday
    year: Mapped[int] = mapped_column(sa.Integer)
    #: 入党日期 as it stood when greeted (a later correction of the register does not rewrite the card)
    join_date: Mapped[date]
    #: which political birthday this is: whole years since joining
    years: Mapped[int] = mapped_column(sa.Integer)
    #: the local (Asia/Shanghai) day it was greeted on
    greeted_on: Mapped[date]
    #: when the row was written (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when its inbox row and push rows were made (UTC); null until then, so a lost job is resumed
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship()


class BirthdayInvitation(db.Model):
    """A member whose political birthday a 主题党日 celebrates.

    The meetings model invites organisations, not people (the whole branch takes part); this row says for
    whom the day is held, so the birthday page and the meeting can name them. Written with the meeting in
    one request, whose audit entry lists them (``birthday.theme_day``).
    """

    __tablename__ = "birthday_invitations"

    #: the 主题党日
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    #: a member celebrated at it
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: the year of the political birthday it celebrates
    year: Mapped[int] = mapped_column(sa.Integer)
