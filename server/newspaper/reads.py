"""What members do with articles: open, read to the end, like, forward, and open what someone forwarded.

Each is one statement that reads and writes its row at once (an INSERT … ON CONFLICT DO NOTHING, or an
UPDATE guarded by the row's own value), so two taps at once count once.

**Learning points hook here.** Reading an article to the end for the first time sends
``server.newspaper.signals.article_read(member_id=, article_id=, at=)`` (see :func:`finish`), inside the
request's transaction. The quiz feature's learning points connect to that signal and nothing else.

Forwards: the path a member's phone forwards (``onShareAppMessage``) carries a token that is the same
every time this member forwards this article (derived from the app's secret, so it cannot be guessed
for another member), so the page knows it before the tap; the forward is recorded when the phone
reports it. Whoever else opens a forwarded page counts once for the sharer (``ShareOpen``).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from server.db import db, utcnow
from server.errors import NotFound
from server.inbox import services as inbox
from server.inbox.models import InboxKind
from server.newspaper.models import ArticleRead, ArticleShare, IssueStatus, NewsArticle, NewsIssue, ShareOpen
from server.newspaper.signals import article_read

ARTICLE_MISSING = "文章不存在"
ARTICLE_PAGE = "/pages/news-article/index"
_reads = ArticleRead.__table__
_shares = ArticleShare.__table__
_opens = ShareOpen.__table__


def share_token(member_id: int, article_id: int) -> str:
    """The member's token for forwarding this article: stable, and unguessable for anyone else's."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"news-share:{member_id}:{article_id}".encode(), hashlib.sha256).hexdigest()[:32]


def share_path(member_id: int, article_id: int) -> str:
    return f"{ARTICLE_PAGE}?id={article_id}&share={share_token(member_id, article_id)}"


def _share(token: str | None, article_id: int) -> ArticleShare | None:
    if not token:
        return None
    return db.session.scalar(
        sa.select(ArticleShare).where(ArticleShare.token == token, ArticleShare.article_id == article_id)
    )


def _is_recipient(member_id: int, issue_id: int) -> bool:
    return inbox.find(member_id, InboxKind.NEWSPAPER, issue_id) is not None


def _has_opened(member_id: int, article_id: int) -> bool:
    found = sa.select(_reads.c.id).where(_reads.c.member_id == member_id, _reads.c.article_id == article_id)
    return db.session.scalar(found) is not None


def readable(member_id: int, article_id: int, share: str | None = None) -> tuple[NewsArticle, ArticleShare | None]:
    """The article, if the member may read it: its issue is published and they received the issue, opened
    the article before (through a forward), or come through a forward of it now; else "missing"."""
    article = db.session.get(NewsArticle, article_id)
    if article is None or article.issue.status is not IssueStatus.PUBLISHED:
        raise NotFound(ARTICLE_MISSING)
    forwarded = _share(share, article_id)
    if forwarded is None and not (_is_recipient(member_id, article.issue_id) or _has_opened(member_id, article_id)):
        raise NotFound(ARTICLE_MISSING)
    return article, forwarded


def open_article(member_id: int, article: NewsArticle, forwarded: ArticleShare | None, now: datetime | None = None):
    """Record an open (the first counts), mark the issue read, and count a forward's open for its sharer."""
    now = now or utcnow()
    db.session.execute(
        _insert(_reads).values(member_id=member_id, article_id=article.id, opened_at=now).on_conflict_do_nothing()
    )
    inbox.mark_read(member_id, InboxKind.NEWSPAPER, article.issue_id, now)
    if forwarded is not None and forwarded.sharer_id != member_id:
        db.session.execute(
            _insert(_opens)
            .values(share_id=forwarded.id, opener_member_id=member_id, opened_at=now)
            .on_conflict_do_nothing()
        )


def finish(member_id: int, article: NewsArticle, now: datetime | None = None) -> bool:
    """The member read to the end. The first time only: recorded, and ``article_read`` is sent. Whether it was
    the first time."""
    now = now or utcnow()
    db.session.execute(
        _insert(_reads).values(member_id=member_id, article_id=article.id, opened_at=now).on_conflict_do_nothing()
    )
    first = db.session.execute(
        sa.update(_reads)
        .where(_reads.c.member_id == member_id, _reads.c.article_id == article.id, _reads.c.finished_at.is_(None))
        .values(finished_at=now)
        .returning(_reads.c.id)
    ).first()
    if first is not None:
        article_read.send(current_app._get_current_object(), member_id=member_id, article_id=article.id, at=now)
    return first is not None


def like(member_id: int, article: NewsArticle, liked: bool, now: datetime | None = None) -> tuple[int, bool]:
    """Like or take back the like; (likes of the article, whether the member likes it now)."""
    now = now or utcnow()
    db.session.execute(
        _insert(_reads).values(member_id=member_id, article_id=article.id, opened_at=now).on_conflict_do_nothing()
    )
    mine = sa.and_(_reads.c.member_id == member_id, _reads.c.article_id == article.id)
    if liked:
        db.session.execute(sa.update(_reads).where(mine, _reads.c.liked_at.is_(None)).values(liked_at=now))
    else:
        db.session.execute(sa.update(_reads).where(mine).values(liked_at=None))
    return likes(article.id), liked


def likes(article_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(_reads.c.article_id == article_id, _reads.c.liked_at.is_not(None))
    )


def state(member_id: int, article_ids: list[int]) -> dict[int, tuple[bool, bool, bool]]:
    """(opened, finished, liked) of each article the member has a row for."""
    if not article_ids:
        return {}
    rows = db.session.execute(
        sa.select(_reads.c.article_id, _reads.c.finished_at, _reads.c.liked_at).where(
            _reads.c.member_id == member_id, _reads.c.article_id.in_(article_ids)
        )
    ).all()
    return {row.article_id: (True, row.finished_at is not None, row.liked_at is not None) for row in rows}


def record_share(member_id: int, article: NewsArticle, now: datetime | None = None) -> str:
    """The member forwarded the article; the path they forwarded. Forwarding again changes nothing."""
    token = share_token(member_id, article.id)
    db.session.execute(
        _insert(_shares)
        .values(article_id=article.id, sharer_id=member_id, token=token, shared_at=now or utcnow())
        .on_conflict_do_nothing()
    )
    return share_path(member_id, article.id)


def issue_for_member(member_id: int, issue_id: int) -> NewsIssue:
    """A published issue the member received; anything else is "missing"."""
    issue = db.session.get(NewsIssue, issue_id)
    if issue is None or issue.status is not IssueStatus.PUBLISHED or not _is_recipient(member_id, issue_id):
        raise NotFound("手机报不存在")
    return issue


def _insert(table: sa.Table):
    return inbox.insert_ignoring_duplicates(table)
