"""Helpers of the newspaper's admin tests: pictures to upload, and members' reading put straight into the tables
(the mini-program's side is tested with its own API; here only what the admin's pages count matters)."""

from __future__ import annotations

import io
import re
import secrets
from datetime import datetime, timedelta

from PIL import Image

from server.db import db, utcnow
from server.inbox import services as inbox
from server.inbox.models import InboxKind
from server.members.models import Member
from server.newspaper.models import ArticleRead, ArticleShare, NewsArticle, NewsIssue, ShareOpen


def picture(width: int = 1600, height: int = 900, kind: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (183, 28, 28)).save(buffer, format=kind)
    return buffer.getvalue()


def issue_id_of(response) -> int:
    """The issue a redirect leads to (``/admin/newspaper/<id>``)."""
    match = re.search(r"/admin/newspaper/(\d+)", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def flash_of(browser, path: str) -> str:
    html = browser.get(path).get_data(as_text=True)
    return " ".join(re.findall(r'<div class="flash" role="status">([^<]*)</div>', html))


def opened(member: Member, issue: NewsIssue, at: datetime | None = None) -> None:
    """The member opened the issue in the mini-program (their inbox row is read)."""
    inbox.mark_read(member.id, InboxKind.NEWSPAPER, issue.id, now=at or utcnow())


def read(
    member: Member, article: NewsArticle, *, finished: bool = False, liked: bool = False, at: datetime | None = None
) -> ArticleRead:
    at = at or utcnow()
    row = ArticleRead(
        member_id=member.id,
        article_id=article.id,
        opened_at=at,
        finished_at=at + timedelta(minutes=3) if finished else None,
        liked_at=at + timedelta(minutes=4) if liked else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def forwarded(sharer: Member, article: NewsArticle, openers: list[Member | None]) -> ArticleShare:
    """The member forwarded the article and each of ``openers`` (None: someone who is not a member) opened it."""
    share = ArticleShare(article_id=article.id, sharer_id=sharer.id, token=secrets.token_hex(16))
    db.session.add(share)
    db.session.flush()
    for opener in openers:
        db.session.add(ShareOpen(share_id=share.id, opener_member_id=opener.id if opener else None))
    db.session.flush()
    return share
