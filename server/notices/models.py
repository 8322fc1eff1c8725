"""A notice, who it goes to, who acknowledged it, and each committee's rules for notices.

Who received a notice is its inbox rows (``inbox_items`` of kind ``notice``), who read it their
``read_at``: nothing is copied per recipient here but the acknowledgement, which only a notice that asks
for one gets.
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


class NoticeStatus(enum.StrEnum):
    PENDING_REVIEW = "pending_review"  # above the committee's audience size: waits for a higher admin
    SCHEDULED = "scheduled"  # to be sent at ``send_at`` by the periodic job
    SENT = "sent"  # in the recipients' inboxes (the delivery job fills them)
    REJECTED = "rejected"  # the reviewer refused it; never sent
    WITHDRAWN = "withdrawn"  # hidden from every inbox, its pending pushes cancelled


NOTICE_STATUS_LABELS = {
    NoticeStatus.PENDING_REVIEW: "待审核",
    NoticeStatus.SCHEDULED: "定时发送",
    NoticeStatus.SENT: "已发送",
    NoticeStatus.REJECTED: "审核未通过",
    NoticeStatus.WITHDRAWN: "已撤回",
}


class AttachmentKind(enum.StrEnum):
    IMAGE = "image"  # JPEG or PNG, re-encoded (no camera metadata)
    PDF = "pdf"


ATTACHMENT_KIND_LABELS = {AttachmentKind.IMAGE: "图片", AttachmentKind.PDF: "PDF 文件"}


class Notice(db.Model):
    """One notice of one organisation, written by one admin account."""

    __tablename__ = "notices"
    __table_args__ = (
        sa.CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
        sa.CheckConstraint("reviewer_id IS NULL OR reviewer_id <> author_id", name="not_reviewed_by_author"),
        sa.CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        sa.CheckConstraint("audience_size >= 0", name="audience_size_not_negative"),
        sa.CheckConstraint("reminders >= 0", name="reminders_not_negative"),
        sa.CheckConstraint("(attachment IS NULL) = (attachment_kind IS NULL)", name="attachment_has_kind"),
        # the periodic job: scheduled notices whose time has come, sent ones not yet delivered
        sa.Index("ix_notices_status_send_at", "status", "send_at"),
        # the daily limit: one author's notices of one day
        sa.Index("ix_notices_author_created", "author_id", "created_at"),
    )
    __audited__ = True
    __audit_entity__ = "notice"
    __audit_ignore__ = ("body",)  # long; the row's history says who wrote it and when

    #: surrogate key; also the ``ref_id`` of its inbox rows and pushes
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the sending organisation (a branch or higher; never a party group)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    #: the admin account that wrote it; may not review it
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: e.g. "明天下午三点召开支部党员大会"
    title: Mapped[str] = mapped_column(sa.String(40))
    #: plain text, shown as written
    body: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[NoticeStatus] = mapped_column(enum_column(NoticeStatus, "notice_status"))
    #: 需回执: members are asked to tap 确认收到
    ack_required: Mapped[bool] = mapped_column(default=False)
    #: the acknowledgement is due by then (UTC); a later one is still taken, marked late
    ack_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: pushed at once even in the quiet hours
    urgent: Mapped[bool] = mapped_column(default=False)
    #: to be sent then (UTC); null: at once (or once approved)
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when it went out (UTC)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when every recipient's inbox had it (UTC); null until the delivery job finished
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when withdrawn (UTC)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: members the audience reached when it was written (what review is judged by)
    audience_size: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: the admin who approved or rejected it
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: when approved or rejected (UTC)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the reviewer's note (why it was rejected)
    review_note: Mapped[str] = mapped_column(sa.String(500), default="")
    #: reminders sent so far: reminder n is push round n
    reminders: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: the last reminder (UTC)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: stored file name of the attachment (server/notices/attachments.py), if any
    attachment: Mapped[str | None] = mapped_column(sa.String(64))
    attachment_kind: Mapped[AttachmentKind | None] = mapped_column(enum_column(AttachmentKind, "notice_attachment"))
    #: the attachment's name as uploaded, shown to members
    attachment_name: Mapped[str] = mapped_column(sa.String(100), default="")
    #: when written (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Organisation] = relationship()
    author: Mapped[AdminUser | None] = relationship(foreign_keys=[author_id])
    reviewer: Mapped[AdminUser | None] = relationship(foreign_keys=[reviewer_id])
    targets: Mapped[list[NoticeTarget]] = relationship(back_populates="notice", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Notice {self.id} {self.title}>"

    @property
    def status_label(self) -> str:
        return NOTICE_STATUS_LABELS[self.status]

    def audit_label(self) -> str:
        return self.title

    def audit_org_id(self) -> int | None:
        return self.org_id


class NoticeTarget(db.Model):
    """One part of a notice's audience: an organisation's subtree, a party group, or one member."""

    __tablename__ = "notice_targets"
    __table_args__ = (
        sa.CheckConstraint("(org_id IS NULL) <> (member_id IS NULL)", name="org_or_member"),
        sa.Index("ix_notice_targets_notice", "notice_id"),
    )
    __audited__ = True
    __audit_entity__ = "notice_target"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id", ondelete="CASCADE"))
    #: every member of this organisation's subtree (of this group, for a party group)
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: this one member
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))

    notice: Mapped[Notice] = relationship(back_populates="targets")
    org: Mapped[Organisation | None] = relationship()
    member: Mapped[Member | None] = relationship()

    def audit_label(self) -> str:
        # the objects the services built it with (a label is written during the flush: no lazy loads)
        notice, target = self.__dict__.get("notice"), self.__dict__.get("org") or self.__dict__.get("member")
        title = notice.title if notice is not None else f"通知 {self.notice_id}"
        return f"{title} → {target.name if target is not None else '发送对象'}"

    def audit_org_id(self) -> int | None:
        from server.audit.services import org_id_of

        return org_id_of(self, Notice.org_id, self.notice_id)


class NoticeAck(db.Model):
    """A member tapped 确认收到 on a notice that asks for it; once (the unique key makes a second tap a no-op)."""

    __tablename__ = "notice_acks"
    __table_args__ = (sa.UniqueConstraint("notice_id", "member_id", name="uq_notice_acks_notice_member"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    #: when (UTC)
    acked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: after the deadline: taken, and shown as late
    late: Mapped[bool] = mapped_column(default=False)


class NoticeSettings(db.Model):
    """An organisation's rules for the notices of its subtree (the nearest organisation with a row decides)."""

    __tablename__ = "notice_settings"
    __table_args__ = (
        sa.CheckConstraint("review_above IS NULL OR review_above >= 0", name="review_above_not_negative"),
        sa.CheckConstraint("daily_limit IS NULL OR daily_limit > 0", name="daily_limit_positive"),
    )
    __audited__ = True
    __audit_entity__ = "notice_settings"

    #: the organisation whose subtree these rules govern
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    #: a notice to more members than this needs review by a higher admin; null: never
    review_above: Mapped[int | None] = mapped_column(sa.Integer)
    #: notices one account may send a day; null: the deployment's default (NOTICE_DAILY_LIMIT)
    daily_limit: Mapped[int | None] = mapped_column(sa.Integer)
    #: last change (UTC)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def audit_label(self) -> str:
        return "通知公告规则"  # whose: the entry's organisation, shown with it

    def audit_org_id(self) -> int | None:
        return self.org_id
