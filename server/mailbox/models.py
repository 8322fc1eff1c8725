"""Letters to a branch secretary or a committee, who wrote them, the board's posts, and the settings.

The anonymity promise is kept by the schema, not by care in each page: the author of every letter is
stored in ``letter_authors``, a table only two places read — the member's own "my letters"
(server/mailbox/member_services.py) and the abuse-handling service (server/mailbox/abuse.py), which no
route calls. A ``Letter`` row knows its author only when the member signed it (``signed_member_id``);
for an anonymous letter that column is empty, so every reader page, export, API answer and audit entry
built from ``Letter`` has nothing to show, however it is written.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.auth.models import AdminUser
from server.db import UTCDateTime, db, utcnow
from server.members.models import Member
from server.orgs.models import Organisation, enum_column


class Addressee(enum.StrEnum):
    SECRETARY = "secretary"  # 书记信箱: the member's own branch
    COMMITTEE = "committee"  # 党委信箱: the top organisation of the member's tree


ADDRESSEE_LABELS = {Addressee.SECRETARY: "书记信箱", Addressee.COMMITTEE: "党委信箱"}


class LetterStatus(enum.StrEnum):
    RECEIVED = "received"  # written, nobody has taken it yet
    IN_HAND = "in_hand"  # a reader took it on
    REPLIED = "replied"  # answered; the reply is in the member's inbox and pushed


LETTER_STATUS_LABELS = {
    LetterStatus.RECEIVED: "待受理",
    LetterStatus.IN_HAND: "办理中",
    LetterStatus.REPLIED: "已回复",
}

#: the only moves a letter makes; anything else is refused (server/mailbox/letters.py)
TRANSITIONS = {
    LetterStatus.RECEIVED: frozenset({LetterStatus.IN_HAND}),
    LetterStatus.IN_HAND: frozenset({LetterStatus.REPLIED}),
    LetterStatus.REPLIED: frozenset(),
}


class Letter(db.Model):
    """One letter, as its readers see it: never with an anonymous author's identity."""

    __tablename__ = "letters"
    __table_args__ = (
        sa.CheckConstraint("length(trim(subject)) > 0", name="subject_not_blank"),
        sa.CheckConstraint("length(trim(body)) > 0", name="body_not_blank"),
        # an anonymous letter never names its author here; a signed one may lose it (member deleted)
        sa.CheckConstraint("NOT anonymous OR signed_member_id IS NULL", name="anonymous_has_no_signature"),
        sa.CheckConstraint("status <> 'replied' OR (replied_at IS NOT NULL AND reply <> '')", name="replied_has_reply"),
        # the queue: one organisation's letters by status, newest first
        sa.Index("ix_letters_org_status_received", "org_id", "status", "received_at"),
        # the periodic job: unanswered letters not flagged yet
        sa.Index("ix_letters_status_flagged", "status", "overdue_at"),
    )
    __audited__ = True
    __audit_entity__ = "letter"

    #: surrogate key; also the ``ref_id`` of the reply's inbox row and push
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the organisation addressed: the writer's branch (书记信箱) or the top of their tree (党委信箱)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: which mailbox it was written to
    addressee: Mapped[Addressee] = mapped_column(enum_column(Addressee, "letter_addressee"))
    #: the letter's subject
    subject: Mapped[str] = mapped_column(sa.String(40))
    #: what the member wrote
    body: Mapped[str] = mapped_column(sa.Text)
    #: the member asked for their name to be hidden from the readers
    anonymous: Mapped[bool] = mapped_column(default=False)
    #: the author, only when they signed the letter; always null for an anonymous one
    signed_member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    #: where it stands
    status: Mapped[LetterStatus] = mapped_column(
        enum_column(LetterStatus, "letter_status"), default=LetterStatus.RECEIVED
    )
    #: when it was written (UTC)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when a reader took it on (UTC)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the admin account that took it on
    handler_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: the answer shown to the member
    reply: Mapped[str] = mapped_column(sa.Text, default="")
    #: when it was answered (UTC)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the admin account that answered
    replier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: when the periodic job found it unanswered past the committee's time (UTC); null: not overdue
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organisation] = relationship()
    signed_member: Mapped[Member | None] = relationship()
    handler: Mapped[AdminUser | None] = relationship(foreign_keys=[handler_id])
    replier: Mapped[AdminUser | None] = relationship(foreign_keys=[replier_id])

    @property
    def status_label(self) -> str:
        return LETTER_STATUS_LABELS[self.status]

    @property
    def addressee_label(self) -> str:
        return ADDRESSEE_LABELS[self.addressee]

    @property
    def author_shown(self) -> str:
        """What readers see as the author: the signed member's name, or 匿名."""
        if self.anonymous:
            return "匿名"
        return self.signed_member.name if self.signed_member else "（党员已删除）"

    def audit_label(self) -> str:
        return f"来信：{self.subject}"  # the subject a secretary knows it by, not its number

    def audit_org_id(self) -> int | None:
        return self.org_id


class LetterAuthor(db.Model):
    """Who wrote a letter, signed or not: kept for the member's own list and for abuse handling only.

    Not audited and not related to ``Letter`` by any relationship, so nothing loads it by accident.
    """

    __tablename__ = "letter_authors"

    #: the letter
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letters.id", ondelete="CASCADE"), primary_key=True)
    #: the member who wrote it
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)


class PostStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the secretary (the branch moderates before posts show)
    VISIBLE = "visible"  # shown to the branch's members
    HIDDEN = "hidden"  # hidden by the secretary; may be restored


POST_STATUS_LABELS = {PostStatus.PENDING: "待审核", PostStatus.VISIBLE: "已显示", PostStatus.HIDDEN: "已隐藏"}


class BoardPost(db.Model):
    """A message on a branch's board (留言板), signed with the member's name."""

    __tablename__ = "board_posts"
    __table_args__ = (
        sa.CheckConstraint("length(trim(body)) > 0", name="body_not_blank"),
        # the board: one branch's visible posts, newest first
        sa.Index("ix_board_posts_org_status_created", "org_id", "status", "created_at"),
    )
    __audited__ = True
    __audit_entity__ = "board_post"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the branch whose board it is on
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: who posted it; null once the member is deleted
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"), index=True)
    #: the message
    body: Mapped[str] = mapped_column(sa.String(500))
    #: shown, waiting or hidden
    status: Mapped[PostStatus] = mapped_column(enum_column(PostStatus, "board_post_status"))
    #: when posted (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the secretary last showed or hid it (UTC)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the admin account that did
    moderator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))

    org: Mapped[Organisation] = relationship()
    member: Mapped[Member | None] = relationship()

    @property
    def status_label(self) -> str:
        return POST_STATUS_LABELS[self.status]

    def audit_label(self) -> str:
        # the words a secretary recognises the post by, not its number
        return "留言：" + (self.body[:20] + "…" if len(self.body) > 20 else self.body)

    def audit_org_id(self) -> int | None:
        return self.org_id


class MailboxSettings(db.Model):
    """An organisation's mailbox settings; what is not set here is inherited from above (or the default)."""

    __tablename__ = "mailbox_settings"
    __table_args__ = (sa.CheckConstraint("reply_days IS NULL OR reply_days BETWEEN 1 AND 90", name="reply_days_range"),)
    __audited__ = True
    __audit_entity__ = "mailbox_settings"

    #: the organisation the settings belong to
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    #: days within which a letter to this organisation or below should be answered (set by a committee or
    #: general branch); null: inherited
    reply_days: Mapped[int | None] = mapped_column(sa.Integer)
    #: the branch's board shows a post only once the secretary approved it
    board_premoderation: Mapped[bool] = mapped_column(default=False)
    #: last change (UTC)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def audit_label(self) -> str:
        return "信箱与留言板设置"

    def audit_org_id(self) -> int | None:
        return self.org_id
