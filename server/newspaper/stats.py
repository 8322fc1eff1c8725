"""What became of a published issue: how many inboxes it reached, who opened it, read to the end, liked and
forwarded it — as a whole, per article and per branch — for the admin's progress and statistics pages and
the Excel export.

Definitions, the same on every page and in the export:

- **in inbox**: members whose inbox holds the issue (inbox_items);
- **read** (an issue): recipients who opened it (their inbox row's ``read_at``); (an article) members who
  opened the article (news_reads);
- **read to the end**: members who reached the end of an article (of any article, for the issue and a
  branch); **likes**: articles liked, counted per member and article;
- **forwards**: times members forwarded an article (news_shares); **opened via forwards**: opens of a
  forwarded page by someone else (news_share_opens), counted for the sharer — per branch, for the
  sharer's branch, since the construction group judges a branch by how far its members carry the news;
- **read rate**: read ÷ in inbox; **finish rate**: read to the end ÷ read.

A member counts for the branch they belong to now (members.org_id). Every figure is one grouped query over
indexed columns, whatever the audience's size; nothing loads one row per member.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.auth.models import AdminUser
from server.auth.scope import in_scope
from server.db import db, utcnow
from server.inbox import push
from server.inbox.models import InboxItem, InboxKind, PushStatus
from server.members.models import Member
from server.newspaper import audience
from server.newspaper.models import ArticleRead, ArticleShare, NewsArticle, NewsIssue, ShareOpen
from server.orgs.models import Organisation

#: points of the cumulative reading curve on the statistics page
TIMELINE_POINTS = 24
#: the curve covers at most the first week after publishing
TIMELINE_SPAN = timedelta(days=7)


def rate(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` as a fraction, or None when there is no whole to speak of."""
    return part / whole if whole else None


@dataclass
class Figures:
    in_inbox: int = 0
    read: int = 0
    finished: int = 0
    likes: int = 0
    forwards: int = 0
    forward_opens: int = 0

    @property
    def read_rate(self) -> float | None:
        return rate(self.read, self.in_inbox)

    @property
    def finish_rate(self) -> float | None:
        return rate(self.finished, self.read)


@dataclass
class IssueStats(Figures):
    #: members the audience reaches now (before publishing: the reach; after: what delivery aims at)
    recipients: int = 0
    #: the issue's pushes by status (``PushStatus`` values)
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
    def cancelled(self) -> int:
        return self.pushes[PushStatus.CANCELLED.value]

    @property
    def waiting(self) -> int:
        """Pushes not sent yet: pending (perhaps until the quiet hours end), being sent right now, or to be sent
        again after a worker died (server/inbox/push.py)."""
        waiting = (PushStatus.PENDING, PushStatus.SENDING, PushStatus.RESEND)
        return sum(self.pushes[status.value] for status in waiting)

    @property
    def without_push(self) -> int:
        """Recipients who get no message at all: not bound to WeChat (they find the issue in their inbox)."""
        return max(0, self.in_inbox - sum(self.pushes.values()))


@dataclass
class ArticleStats(Figures):
    article_id: int = 0
    position: int = 0
    title: str = ""


@dataclass
class BranchStats(Figures):
    org_id: int = 0
    name: str = ""


# --- building blocks ---------------------------------------------------------------------------------------


def _in_inbox(issue_ids: sa.ColumnElement | list[int]) -> sa.ColumnElement[bool]:
    ids = issue_ids if isinstance(issue_ids, list) else [issue_ids]
    return sa.and_(InboxItem.kind == InboxKind.NEWSPAPER, InboxItem.ref_id.in_(ids))


def _articles_of(issue_ids: list[int]) -> sa.Select:
    return sa.select(NewsArticle.id).where(NewsArticle.issue_id.in_(issue_ids))


def _counted(query: sa.Select) -> dict:
    """``{group: count}`` of a two-column grouped query."""
    return {group: count for group, count in db.session.execute(query).all()}


def _finished_by(key: sa.ColumnElement, issue_ids: list[int]) -> dict:
    """Members who read at least one of the articles to the end, once each, per ``key``."""
    return _counted(
        sa.select(key, sa.func.count(sa.distinct(ArticleRead.member_id)))
        .select_from(ArticleRead)
        .join(NewsArticle, NewsArticle.id == ArticleRead.article_id)
        .join(Member, Member.id == ArticleRead.member_id)
        .where(NewsArticle.issue_id.in_(issue_ids), ArticleRead.finished_at.is_not(None))
        .group_by(key)
    )


def _likes_by(key: sa.ColumnElement, issue_ids: list[int]) -> dict:
    return _counted(
        sa.select(key, sa.func.count())
        .select_from(ArticleRead)
        .join(NewsArticle, NewsArticle.id == ArticleRead.article_id)
        .join(Member, Member.id == ArticleRead.member_id)
        .where(NewsArticle.issue_id.in_(issue_ids), ArticleRead.liked_at.is_not(None))
        .group_by(key)
    )


def _forwards_by(key: sa.ColumnElement, issue_ids: list[int]) -> dict:
    """Forwards made, per ``key`` (a column of the article or of the sharing member)."""
    return _counted(
        sa.select(key, sa.func.count())
        .select_from(ArticleShare)
        .join(NewsArticle, NewsArticle.id == ArticleShare.article_id)
        .join(Member, Member.id == ArticleShare.sharer_id)
        .where(NewsArticle.issue_id.in_(issue_ids))
        .group_by(key)
    )


def _forward_opens_by(key: sa.ColumnElement, issue_ids: list[int]) -> dict:
    """Opens by others through a forward, credited to the forward's article or sharer (``key``)."""
    return _counted(
        sa.select(key, sa.func.count())
        .select_from(ShareOpen)
        .join(ArticleShare, ArticleShare.id == ShareOpen.share_id)
        .join(NewsArticle, NewsArticle.id == ArticleShare.article_id)
        .join(Member, Member.id == ArticleShare.sharer_id)
        .where(NewsArticle.issue_id.in_(issue_ids))
        .group_by(key)
    )


def _inbox_by(key: sa.ColumnElement, issue_ids: list[int]) -> dict:
    """``{group: (in inbox, read)}``."""
    rows = db.session.execute(
        sa.select(key, sa.func.count(), sa.func.count(InboxItem.read_at))
        .select_from(InboxItem)
        .join(Member, Member.id == InboxItem.member_id)
        .where(_in_inbox(issue_ids))
        .group_by(key)
    ).all()
    return {group: (in_inbox, read) for group, in_inbox, read in rows}


def _fill(figures: dict, inbox: dict, finished: dict, likes: dict, forwards: dict, opens: dict) -> None:
    """Put grouped counts into ``figures`` (keyed like the groups); groups not in it are left out."""
    for group, (in_inbox, read) in inbox.items():
        if group in figures:
            figures[group].in_inbox, figures[group].read = in_inbox, read
    counts = {"finished": finished, "likes": likes, "forwards": forwards, "forward_opens": opens}
    for attribute, source in counts.items():
        for group, count in source.items():
            if group in figures:
                setattr(figures[group], attribute, count)


# --- per issue ---------------------------------------------------------------------------------------------


def overview(issue_ids: list[int]) -> dict[int, Figures]:
    """The figures of several issues at once (the issue list): one grouped query per figure."""
    figures: dict[int, Figures] = {issue_id: Figures() for issue_id in issue_ids}
    if not issue_ids:
        return figures
    inbox = {
        ref_id: (count, read)
        for ref_id, count, read in db.session.execute(
            sa.select(InboxItem.ref_id, sa.func.count(), sa.func.count(InboxItem.read_at))
            .where(_in_inbox(issue_ids))
            .group_by(InboxItem.ref_id)
        ).all()
    }
    key = NewsArticle.issue_id
    _fill(
        figures,
        inbox,
        _finished_by(key, issue_ids),
        _likes_by(key, issue_ids),
        _forwards_by(key, issue_ids),
        _forward_opens_by(key, issue_ids),
    )
    return figures


def issue_stats(issue: NewsIssue) -> IssueStats:
    """Everything about one issue: its reach, its delivery and pushes, its reading."""
    figures = overview([issue.id])[issue.id]
    stats = IssueStats(**vars(figures))
    stats.recipients = audience.reach(audience.rows_of(issue))
    stats.pushes = push.counts(InboxKind.NEWSPAPER, [issue.id])[issue.id]
    return stats


def delivery_progress(issue: NewsIssue) -> IssueStats:
    """What the progress page polls: the inbox and push counts and how many have read it (no likes or
    forwards, which the statistics page shows)."""
    stats = IssueStats(recipients=audience.reach(audience.rows_of(issue)))
    stats.in_inbox, stats.read = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(InboxItem.read_at)).where(_in_inbox(issue.id))
    ).one()
    stats.pushes = push.counts(InboxKind.NEWSPAPER, [issue.id])[issue.id]
    return stats


def pushes_wait_until(issue: NewsIssue, now: datetime | None = None) -> datetime | None:
    """When the issue's waiting pushes may go out, if that is later than now (the end of the quiet hours)."""
    from server.inbox.models import Push

    first = db.session.scalar(
        sa.select(sa.func.min(Push.not_before)).where(
            Push.kind == InboxKind.NEWSPAPER,
            Push.ref_id == issue.id,
            Push.status.in_((PushStatus.PENDING, PushStatus.RESEND)),
        )
    )
    return first if first is not None and first > (now or utcnow()) else None


# --- per article and per branch ----------------------------------------------------------------------------


def article_stats(issue: NewsIssue) -> list[ArticleStats]:
    """Each article in the issue's order; its read rate is over the issue's inboxes."""
    in_inbox = db.session.scalar(sa.select(sa.func.count()).where(_in_inbox(issue.id))) or 0
    rows = db.session.execute(
        sa.select(
            NewsArticle.id,
            NewsArticle.position,
            NewsArticle.title,
            sa.func.count(ArticleRead.id),
            sa.func.count(ArticleRead.finished_at),
            sa.func.count(ArticleRead.liked_at),
        )
        .outerjoin(ArticleRead, ArticleRead.article_id == NewsArticle.id)
        .where(NewsArticle.issue_id == issue.id)
        .group_by(NewsArticle.id, NewsArticle.position, NewsArticle.title)
        .order_by(NewsArticle.position)
    ).all()
    forwards = _forwards_by(NewsArticle.id, [issue.id])
    opens = _forward_opens_by(NewsArticle.id, [issue.id])
    return [
        ArticleStats(
            in_inbox=in_inbox,
            read=read,
            finished=finished,
            likes=likes,
            forwards=forwards.get(article_id, 0),
            forward_opens=opens.get(article_id, 0),
            article_id=article_id,
            position=position,
            title=title,
        )
        for article_id, position, title, read, finished, likes in rows
    ]


def branch_stats(issue: NewsIssue, admin: AdminUser) -> list[BranchStats]:
    """Per branch of the recipients (and of the sharers), those in ``admin``'s scope only; best read rate first."""
    issue_ids = [issue.id]
    key = Member.org_id
    inbox = _inbox_by(key, issue_ids)
    opens = _forward_opens_by(key, issue_ids)
    forwards = _forwards_by(key, issue_ids)
    org_ids = set(inbox) | set(forwards) | set(opens)
    names = dict(
        db.session.execute(
            sa.select(Organisation.id, Organisation.name).where(
                Organisation.id.in_(org_ids), in_scope(Organisation.id, admin)
            )
        ).all()
    )
    figures: dict[int, BranchStats] = {org_id: BranchStats(org_id=org_id, name=name) for org_id, name in names.items()}
    _fill(figures, inbox, _finished_by(key, issue_ids), _likes_by(key, issue_ids), forwards, opens)
    return sorted(figures.values(), key=lambda b: (-(b.read_rate or 0), -b.in_inbox, b.name))


# --- over time ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeline:
    #: hours after publishing of each point
    hours: list[float]
    #: members who had opened the issue by then
    read: list[int]


def timeline(issue: NewsIssue, now: datetime | None = None, points: int = TIMELINE_POINTS) -> Timeline:
    """The cumulative number of readers at ``points`` moments from publishing until now (at most a week):
    one query of filtered counts, the same on SQLite and PostgreSQL."""
    if issue.published_at is None:
        return Timeline([], [])
    span = min(max((now or utcnow()) - issue.published_at, timedelta(hours=1)), TIMELINE_SPAN)
    moments = [issue.published_at + span * (n + 1) / points for n in range(points)]
    counts = db.session.execute(
        sa.select(*(sa.func.count().filter(InboxItem.read_at <= moment) for moment in moments)).where(
            _in_inbox(issue.id)
        )
    ).one()
    hours = [round((moment - issue.published_at).total_seconds() / 3600, 1) for moment in moments]
    return Timeline(hours, list(counts))
