"""Delivering a published issue: every recipient's inbox, then a subscribe message to those with consent.

``deliver(issue_id)`` runs in the job ``deliver_issue``, queued when the issue is published (after the
commit) and queued again by the periodic job while the issue's ``delivered_at`` is still empty a lease
after publishing (the job was lost). It is idempotent: inbox rows and push rows are inserted with
``INSERT … SELECT … ON CONFLICT DO NOTHING``, a window of members at a time, so running it twice, or
on two workers at once, changes nothing twice. Memory stays one window's worth of nothing: the ids never
leave the database.

This module also tells the inbox how to list an issue, which issues members may see (published ones: a
withdrawn issue vanishes from every inbox with no row touched) and what its push says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import url_for

from server.db import db, utcnow
from server.inbox import push
from server.inbox import services as inbox
from server.inbox.models import InboxKind
from server.inbox.sources import Entry, PushMessage, Source, register
from server.newspaper import audience
from server.newspaper.models import IssueStatus, NewsArticle, NewsIssue
from server.orgs.models import Organisation
from server.timezone import to_local
from server.wechat import subscribe

log = logging.getLogger(__name__)
PURPOSE = "newspaper_issue"


@dataclass(frozen=True)
class Delivered:
    inboxes: int
    pushes: int


def subtitle(number: int, org_name: str) -> str:
    return f"第 {number} 期 · {org_name}"


def cover_url(name: str | None) -> str | None:
    return url_for("news_media.image", name=name, _external=True) if name else None


def deliver(issue_id: int, now: datetime | None = None) -> Delivered:
    """Inbox rows and push rows for every recipient of a published issue, committing after each window of
    members; then the push jobs. Nothing for an issue that is not (or no longer) published."""
    now = now or utcnow()
    issue = db.session.get(NewsIssue, issue_id)
    if issue is None or issue.status is not IssueStatus.PUBLISHED:
        return Delivered(0, 0)
    recipients = audience.recipients(issue)
    template = subscribe.template(PURPOSE)
    due = push.not_before(issue.urgent, now)
    inboxes = pushes = 0
    for low, high in inbox.member_windows(recipients):
        window = inbox.in_window(recipients, low, high)
        inboxes += inbox.deliver(InboxKind.NEWSPAPER, issue.id, window, now=issue.published_at)
        if template:
            pushes += push.create(InboxKind.NEWSPAPER, issue.id, 0, template["template_id"], window, due=due, now=now)
        db.session.commit()
    if issue.delivered_at is None:
        issue.delivered_at = utcnow()
    if template:
        from server.inbox.tasks import start

        start(InboxKind.NEWSPAPER, issue.id, 0, due)
    db.session.commit()
    log.info("issue %s delivered: %s new in inboxes, %s new pushes (due %s)", issue.id, inboxes, pushes, due or "now")
    return Delivered(inboxes, pushes)


def undelivered(before: datetime) -> list[int]:
    """Published issues whose delivery has not finished although they were published before ``before``."""
    return list(
        db.session.scalars(
            sa.select(NewsIssue.id).where(
                NewsIssue.status == IssueStatus.PUBLISHED,
                NewsIssue.delivered_at.is_(None),
                NewsIssue.published_at < before,
            )
        )
    )


# --- what the inbox and the push engine know of issues ------------------------------------------------------


def _visible(ref_id: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    return ref_id.in_(sa.select(NewsIssue.id).where(NewsIssue.status == IssueStatus.PUBLISHED))


def first_covers(issue_ids: list[int]) -> dict[int, str]:
    """The cover of each issue's first article that has one."""
    rows = db.session.execute(
        sa.select(NewsArticle.issue_id, NewsArticle.cover)
        .where(NewsArticle.issue_id.in_(issue_ids), NewsArticle.cover.is_not(None))
        .order_by(NewsArticle.issue_id, NewsArticle.position)
    ).all()
    covers: dict[int, str] = {}
    for issue_id, cover in rows:
        covers.setdefault(issue_id, cover)
    return covers


def _describe(issue_ids: list[int]) -> dict[int, Entry]:
    rows = db.session.execute(
        sa.select(NewsIssue.id, NewsIssue.number, NewsIssue.title, Organisation.name)
        .join(Organisation, Organisation.id == NewsIssue.org_id)
        .where(NewsIssue.id.in_(issue_ids))
    ).all()
    covers = first_covers(issue_ids)
    return {row.id: Entry(row.title, subtitle(row.number, row.name), cover_url(covers.get(row.id))) for row in rows}


def _message(issue_id: int) -> PushMessage | None:
    issue = db.session.get(NewsIssue, issue_id)
    template = subscribe.template(PURPOSE)
    if issue is None or issue.status is not IssueStatus.PUBLISHED or template is None:
        return None
    values = {"issue_title": f"第{issue.number}期 {issue.title}", "published_at": to_local(issue.published_at)}
    return PushMessage(template, values, f"{template['page']}?id={issue.id}")


def _urgent(issue_id: int) -> bool:
    return bool(db.session.scalar(sa.select(NewsIssue.urgent).where(NewsIssue.id == issue_id)))


register(Source(InboxKind.NEWSPAPER, visible=_visible, describe=_describe, message=_message, urgent=_urgent))
