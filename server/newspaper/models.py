"""Newspaper issues, their articles and audiences, and what members do with them (reads, likes, forwards)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.auth.models import AdminUser
from server.db import UTCDateTime, db, utcnow
from server.orgs.models import Organisation, enum_column


class IssueStatus(enum.StrEnum):
    DRAFT = "draft"  # being written; a sent-back issue is a draft again
    SUBMITTED = "submitted"  # waiting for a reviewer
    APPROVED = "approved"  # may be published (now, or at publish_at by the periodic job)
    PUBLISHED = "published"  # in recipients' inboxes
    WITHDRAWN = "withdrawn"  # hidden from inboxes, its pushes stopped


ISSUE_STATUS_LABELS = {
    IssueStatus.DRAFT: "草稿",
    IssueStatus.SUBMITTED: "待审核",
    IssueStatus.APPROVED: "已通过",
    IssueStatus.PUBLISHED: "已发布",
    IssueStatus.WITHDRAWN: "已撤回",
}


class Narrowing(enum.StrEnum):
    """Who in an audience subtree receives the issue."""

    ALL = "all"  # every member
    PROBATIONARY = "probationary"  # probationary members only
    SECRETARIES = "secretaries"  # members linked to a secretary's or organisation admin's account
    GROUP = "group"  # the members of one party group (the audience row's org is the group)


NARROWING_LABELS = {
    Narrowing.ALL: "全体党员",
    Narrowing.PROBATIONARY: "仅预备党员",
    Narrowing.SECRETARIES: "仅书记",
    Narrowing.GROUP: "仅本党小组",
}


class NewsIssue(db.Model):
    """第 N 期 of one organisation's newspaper."""

    __tablename__ = "news_issues"
    __table_args__ = (
        sa.UniqueConstraint("org_id", "number", name="uq_news_issues_org_number"),
        sa.CheckConstraint("number > 0", name="number_positive"),
        sa.CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
        sa.CheckConstraint("reviewer_id IS NULL OR reviewer_id <> author_id", name="not_reviewed_by_author"),
        sa.CheckConstraint("status <> 'published' OR published_at IS NOT NULL", name="published_has_time"),
        # the periodic job: approved issues whose time has come
        sa.Index("ix_news_issues_status_publish_at", "status", "publish_at"),
    )
    __audited__ = True
    __audit_entity__ = "news_issue"

    #: surrogate key; also the ``ref_id`` of its inbox rows and pushes
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the publishing organisation
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    #: 第 N 期, counted per organisation
    number: Mapped[int] = mapped_column(sa.Integer)
    #: the issue's title, e.g. "学习贯彻党的二十届三中全会精神专刊"
    title: Mapped[str] = mapped_column(sa.String(60))
    #: where it is in the workflow
    status: Mapped[IssueStatus] = mapped_column(
        enum_column(IssueStatus, "news_issue_status"), default=IssueStatus.DRAFT
    )
    #: the admin account that wrote it; may not review it
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: the admin account that approved or sent it back last
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: when last submitted for review (UTC)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when last approved or sent back (UTC)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the reviewer's note (why it was sent back, or a remark with the approval)
    review_note: Mapped[str] = mapped_column(sa.String(500), default="")
    #: when it is to be published (UTC); null: when someone presses 发布
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when it was published (UTC)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when every recipient's inbox had it (UTC); null after publishing until the delivery job has run,
    #: so a delivery job that was lost is queued again by the periodic job
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when it was withdrawn (UTC)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: pushed at once even in the quiet hours (a safety notice)
    urgent: Mapped[bool] = mapped_column(default=False)
    #: when created (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Organisation] = relationship()
    author: Mapped[AdminUser | None] = relationship(foreign_keys=[author_id])
    reviewer: Mapped[AdminUser | None] = relationship(foreign_keys=[reviewer_id])
    articles: Mapped[list[NewsArticle]] = relationship(
        back_populates="issue", order_by="NewsArticle.position", cascade="all, delete-orphan"
    )
    audiences: Mapped[list[NewsAudience]] = relationship(back_populates="issue", cascade="all, delete-orphan")

    # workflow.py sets ``issue.audit_step`` ("submit", "approve", …) before a status change is flushed, so
    # the audit trail names the step (server/audit/services.py ``_step``).

    def __repr__(self) -> str:
        return f"<NewsIssue {self.id} 第{self.number}期>"

    @property
    def status_label(self) -> str:
        return ISSUE_STATUS_LABELS[self.status]

    @property
    def scheduled(self) -> bool:
        return self.status is IssueStatus.APPROVED and self.publish_at is not None

    def audit_label(self) -> str:
        return f"第{self.number}期 {self.title}"

    def audit_org_id(self) -> int | None:
        return self.org_id


class NewsArticle(db.Model):
    """One article of an issue, its body sanitised HTML (server/newspaper/sanitise.py)."""

    __tablename__ = "news_articles"
    __table_args__ = (
        sa.UniqueConstraint("issue_id", "position", name="uq_news_articles_issue_position"),
        sa.CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
    )
    __audited__ = True
    __audit_entity__ = "news_article"
    __audit_ignore__ = ("body_html",)  # long; the issue's history says who changed it and when

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the issue it belongs to
    issue_id: Mapped[int] = mapped_column(sa.ForeignKey("news_issues.id", ondelete="CASCADE"))
    #: order in the issue, from 1
    position: Mapped[int] = mapped_column(sa.Integer)
    #: headline
    title: Mapped[str] = mapped_column(sa.String(80))
    #: one or two sentences shown in the issue's list
    summary: Mapped[str] = mapped_column(sa.String(200), default="")
    #: stored file name of the cover image (server/newspaper/images.py), if any
    cover: Mapped[str | None] = mapped_column(sa.String(64))
    #: the body, sanitised HTML the mini-program's rich-text shows
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    #: when created (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    issue: Mapped[NewsIssue] = relationship(back_populates="articles")

    def audit_label(self) -> str:
        return self.title

    def audit_org_id(self) -> int | None:
        from server.audit.services import org_id_of

        return org_id_of(self, NewsIssue.org_id, self.issue_id)


class NewsAudience(db.Model):
    """One subtree an issue goes to, optionally narrowed; an issue's audience is the union of its rows."""

    __tablename__ = "news_audiences"
    __audited__ = True
    __audit_entity__ = "news_audience"

    #: the issue
    issue_id: Mapped[int] = mapped_column(sa.ForeignKey("news_issues.id", ondelete="CASCADE"), primary_key=True)
    #: the root of the subtree (a party group for ``Narrowing.GROUP``)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True)
    #: who in that subtree
    narrowing: Mapped[Narrowing] = mapped_column(enum_column(Narrowing, "news_narrowing"), default=Narrowing.ALL)

    issue: Mapped[NewsIssue] = relationship(back_populates="audiences")
    org: Mapped[Organisation] = relationship()

    def audit_label(self) -> str:
        return f"issue #{self.issue_id} → org #{self.org_id}"

    def audit_org_id(self) -> int | None:
        from server.audit.services import org_id_of

        return org_id_of(self, NewsIssue.org_id, self.issue_id)


class ArticleRead(db.Model):
    """One member and one article: opened, read to the end, liked."""

    __tablename__ = "news_reads"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "article_id", name="uq_news_reads_member_article"),
        sa.Index("ix_news_reads_article", "article_id"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the reader
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    #: the article
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("news_articles.id", ondelete="CASCADE"))
    #: first opened (UTC)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: first read to the end (UTC); null: not yet
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: liked since (UTC); null: not liked
    liked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ArticleShare(db.Model):
    """A member forwarded an article (``onShareAppMessage``); the token travels in the shared page's path."""

    __tablename__ = "news_shares"
    __table_args__ = (sa.Index("ix_news_shares_article", "article_id"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the article
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("news_articles.id", ondelete="CASCADE"))
    #: the member who forwarded it
    sharer_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    #: random, in the shared path (``?share=``): whoever opens it counts for the sharer
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    #: when (UTC)
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShareOpen(db.Model):
    """Someone other than the sharer opened a forwarded article, once per opener."""

    __tablename__ = "news_share_opens"
    __table_args__ = (sa.UniqueConstraint("share_id", "opener_member_id", name="uq_news_share_opens_share_opener"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the forward it came through
    share_id: Mapped[int] = mapped_column(sa.ForeignKey("news_shares.id", ondelete="CASCADE"))
    #: the member who opened it; null for someone who is not a member (counted each time)
    opener_member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    #: when (UTC)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
