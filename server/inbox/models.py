"""Inbox rows and the pushes that announce them.

Neither table is audited row by row: a delivery writes one row per recipient (100,000 for a railway
bureau's issue) with one INSERT … SELECT; the feature that delivers audits the act itself.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db import UTCDateTime, db, utcnow
from server.orgs.models import enum_column


class InboxKind(enum.StrEnum):
    """What an inbox row points at (``ref_id`` is its id)."""

    NEWSPAPER = "newspaper"  # a published newspaper issue (news_issues.id)
    NOTICE = "notice"  # a secretary's notice (notices.id)
    LETTER = "letter"  # the reply to a member's letter to the mailbox (letters.id)
    BIRTHDAY = "birthday"  # a political birthday greeting (birthday_greetings.id)


class InboxItem(db.Model):
    """One thing delivered to one member, once: the unique key makes a second delivery change nothing."""

    __tablename__ = "inbox_items"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "kind", "ref_id", name="uq_inbox_items_member_kind_ref"),
        # a member's inbox, newest first, paged by (delivered_at, id)
        sa.Index("ix_inbox_items_member_delivered", "member_id", "delivered_at", "id"),
        # per-issue counts (in inboxes, read)
        sa.Index("ix_inbox_items_kind_ref", "kind", "ref_id"),
    )

    #: surrogate key; also the tie-breaker of the inbox's order
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the recipient
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    #: what was delivered
    kind: Mapped[InboxKind] = mapped_column(enum_column(InboxKind, "inbox_kind"))
    #: the id of what was delivered, in the table ``kind`` names
    ref_id: Mapped[int] = mapped_column(sa.Integer)
    #: when it reached the inbox (UTC)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the member first opened it (UTC); null while unread
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PushStatus(enum.StrEnum):
    """Where one member's subscribe message stands (see server/inbox/push.py for the transitions)."""

    PENDING = "pending"  # to be sent (not before ``not_before``)
    SENDING = "sending"  # claimed by a job, committed before WeChat is called
    SENT = "sent"  # WeChat accepted it
    NO_QUOTA = "no_quota"  # no consent left for the template (our count, or WeChat's 43101)
    UNCERTAIN = "uncertain"  # WeChat may or may not have delivered it: never sent again
    RESEND = "resend"  # in doubt, but the member had one consent: sent again, WeChat delivers at most one
    FAILED = "failed"  # WeChat refused it for good (a bad openid, template or field), or the member unbound
    CANCELLED = "cancelled"  # not sent: what it announced was withdrawn


#: a push in one of these has its outcome; nothing touches it again
SETTLED = frozenset(
    {PushStatus.SENT, PushStatus.NO_QUOTA, PushStatus.UNCERTAIN, PushStatus.FAILED, PushStatus.CANCELLED}
)


class Push(db.Model):
    """One subscribe message to one member about one inbox item, in one round.

    The unique key is the promise that nobody is pushed twice: a push is claimed (``sending``,
    committed) before it is sent, and a claimed push is never claimed again.
    """

    __tablename__ = "inbox_pushes"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "kind", "ref_id", "round", name="uq_inbox_pushes_member_kind_ref_round"),
        sa.CheckConstraint("round >= 0", name="round_not_negative"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # claiming the next batch of one push (kind, ref, round, pending, by id) and counting its outcomes
        sa.Index("ix_inbox_pushes_batch", "kind", "ref_id", "round", "status", "id"),
        # the sweep: pushes left sending, pending pushes whose job was lost
        sa.Index("ix_inbox_pushes_status_updated", "status", "updated_at"),
    )

    #: surrogate key; pushes are sent in its order
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the recipient
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    #: what it announces, as in ``InboxItem``
    kind: Mapped[InboxKind] = mapped_column(enum_column(InboxKind, "inbox_kind"))
    #: the id of what it announces
    ref_id: Mapped[int] = mapped_column(sa.Integer)
    #: 0 for the first push; later reminders of the same item (notices) are 1, 2, …
    round: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: the WeChat template it is sent with (consent is counted per template)
    template_id: Mapped[str] = mapped_column(sa.String(128))
    #: where it stands
    status: Mapped[PushStatus] = mapped_column(enum_column(PushStatus, "push_status"), default=PushStatus.PENDING)
    #: how many times a job has claimed it (a claim WeChat answered "busy" is given back)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: not sent before this (UTC): the end of the quiet hours for a push that is not urgent
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: last change of status (UTC); the sweep judges a job lost or a worker dead by it
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: WeChat's error code when it refused or was busy
    errcode: Mapped[int | None] = mapped_column(sa.Integer)
