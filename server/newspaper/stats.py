"""Counts of one issue: as a whole, per article and per branch. What the admin's progress and statistics
pages show and the Excel export writes.

- recipients: members the audience reaches now (the reach shown before publishing);
- in inbox: members whose inbox has the issue; pushed / no quota / failed / uncertain / waiting: its
  pushes by outcome (waiting: pending or being sent);
- read: members who opened the issue (per article: who opened the article); read to end; read rate
  (read ÷ in inbox); likes; forwards: the forwards made plus the opens others made through them,
  counted for the sharer (per branch: for the sharer's branch).

Every figure is one grouped query over indexed columns, whatever the number of members.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from server.db import db
from server.inbox import push
from server.inbox.models import InboxItem, InboxKind, PushStatus
from server.members.models import Member
from server.newspaper import audience
from server.newspaper.models import ArticleRead, ArticleShare, NewsArticle, NewsIssue, ShareOpen
from server.orgs.models import Organisation


def rate(part: int, whole: int) -> float:
    """A share in percent with one decimal, 0 for nothing to share."""
    return round(100 * part / whole, 1) if whole else 0.0


@dataclass
class Figures:
    in_inbox: int = 0
    read: int = 0
    finished: int = 0
    likes: int = 0
    forwards: int = 0

    @property
    def read_rate(self) -> float:
        return rate(self.read, self.in_inbox)


@dataclass
class IssueStats(Figures):
    recipients: int = 0
    pushes: Counter = field(default_factory=Counter)

    @property
    def pushed(self) -> int:
        return self.pushes[PushStatus.SENT.value]

    @property
    def no_quota(self) -> int:
        return self.pushes[PushStatus.NO_QUOTA.value]

    @property
    def failed(self) -> int:
        return self.pushes[PushStatus.FAILED.value]

    @property
    def uncertain(self) -> int:
        return self.pushes[PushStatus.UNCERTAIN.value]

    @property
    def waiting(self) -> int:
        return self.pushes[PushStatus.PENDING.value] + self.pushes[PushStatus.SENDING.value]


@dataclass
class ArticleStats(Figures):
    article_id: int = 0
    title: str = ""


@dataclass
class BranchStats(Figures):
    org_id: int = 0
    name: str = ""


def _in_inbox(issue_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(InboxItem.kind == InboxKind.NEWSPAPER, InboxItem.ref_id == issue_id)


def _article_ids(issue_id: int) -> sa.Select:
    return sa.select(NewsArticle.id).where(NewsArticle.issue_id == issue_id)


def _forwards_by(issue_id: int, key: sa.ColumnElement) -> dict:
    """Forwards made plus opens through them, grouped by ``key`` (a column of the share or of its sharer)."""
    made = (
        sa.select(key, sa.func.count())
        .select_from(ArticleShare)
        .join(Member, Member.id == ArticleShare.sharer_id)
        .where(ArticleShare.article_id.in_(_article_ids(issue_id)))
        .group_by(key)
    )
    opened = (
        sa.select(key, sa.func.count())
        .select_from(ShareOpen)
        .join(ArticleShare, ArticleShare.id == ShareOpen.share_id)
        .join(Member, Member.id == ArticleShare.sharer_id)
        .where(ArticleShare.article_id.in_(_article_ids(issue_id)))
        .group_by(key)
    )
    counts: Counter = Counter()
    for query in (made, opened):
        for group, count in db.session.execute(query).all():
            counts[group] += count
    return counts


def issue_stats(issue: NewsIssue) -> IssueStats:
    stats = IssueStats(recipients=audience.reach(audience.rows_of(issue)))
    stats.in_inbox, stats.read = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(InboxItem.read_at)).where(_in_inbox(issue.id))
    ).one()
    stats.finished = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(ArticleRead.member_id))).where(
            ArticleRead.article_id.in_(_article_ids(issue.id)), ArticleRead.finished_at.is_not(None)
        )
    )
    stats.likes = db.session.scalar(
        sa.select(sa.func.count()).where(
            ArticleRead.article_id.in_(_article_ids(issue.id)), ArticleRead.liked_at.is_not(None)
        )
    )
    stats.forwards = sum(_forwards_by(issue.id, ArticleShare.article_id).values())
    stats.pushes = push.counts(InboxKind.NEWSPAPER, [issue.id])[issue.id]
    return stats


def article_stats(issue: NewsIssue) -> list[ArticleStats]:
    in_inbox = db.session.scalar(sa.select(sa.func.count()).where(_in_inbox(issue.id)))
    rows = db.session.execute(
        sa.select(
            NewsArticle.id,
            NewsArticle.title,
            sa.func.count(ArticleRead.id),
            sa.func.count(ArticleRead.finished_at),
            sa.func.count(ArticleRead.liked_at),
        )
        .outerjoin(ArticleRead, ArticleRead.article_id == NewsArticle.id)
        .where(NewsArticle.issue_id == issue.id)
        .group_by(NewsArticle.id, NewsArticle.title, NewsArticle.position)
        .order_by(NewsArticle.position)
    ).all()
    forwards = _forwards_by(issue.id, ArticleShare.article_id)
    return [
        ArticleStats(in_inbox, read, finished, liked, forwards[article_id], article_id=article_id, title=title)
        for article_id, title, read, finished, liked in rows
    ]


def branch_stats(issue: NewsIssue, org_ids: sa.Select | None = None) -> list[BranchStats]:
    """Per branch of the recipients (a member's own branch), optionally only the branches ``org_ids`` selects
    (the admin's scope)."""
    inbox_rows = (
        sa.select(Member.org_id, sa.func.count(), sa.func.count(InboxItem.read_at))
        .select_from(InboxItem)
        .join(Member, Member.id == InboxItem.member_id)
        .where(_in_inbox(issue.id))
        .group_by(Member.org_id)
    )
    finished_rows = (
        sa.select(Member.org_id, sa.func.count(sa.distinct(ArticleRead.member_id)))
        .select_from(ArticleRead)
        .join(Member, Member.id == ArticleRead.member_id)
        .where(ArticleRead.article_id.in_(_article_ids(issue.id)), ArticleRead.finished_at.is_not(None))
        .group_by(Member.org_id)
    )
    like_rows = (
        sa.select(Member.org_id, sa.func.count())
        .select_from(ArticleRead)
        .join(Member, Member.id == ArticleRead.member_id)
        .where(ArticleRead.article_id.in_(_article_ids(issue.id)), ArticleRead.liked_at.is_not(None))
        .group_by(Member.org_id)
    )
    branches: dict[int, BranchStats] = {}

    def branch(org_id: int) -> BranchStats:
        return branches.setdefault(org_id, BranchStats(org_id=org_id))

    for org_id, in_inbox, read in db.session.execute(inbox_rows).all():
        branch(org_id).in_inbox, branch(org_id).read = in_inbox, read
    for org_id, finished in db.session.execute(finished_rows).all():
        branch(org_id).finished = finished
    for org_id, liked in db.session.execute(like_rows).all():
        branch(org_id).likes = liked
    for org_id, count in _forwards_by(issue.id, Member.org_id).items():
        branch(org_id).forwards = count
    names_query = sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(list(branches)))
    if org_ids is not None:
        names_query = names_query.where(Organisation.id.in_(org_ids))
    names = dict(db.session.execute(names_query).all())
    listed = [stats for org_id, stats in branches.items() if org_id in names]
    for stats in listed:
        stats.name = names[stats.org_id]
    return sorted(listed, key=lambda stats: (-stats.read_rate, stats.name))
