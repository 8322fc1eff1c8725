"""Delivering a sent notice: every recipient's inbox, then a subscribe message to those with consent.

``deliver(notice_id)`` runs in the job ``deliver_notice``, queued when the notice is sent (after the commit)
and again by the periodic job while its ``delivered_at`` is still empty a lease later. Idempotent, a window
of members at a time (``INSERT … SELECT … ON CONFLICT DO NOTHING``), as the newspaper's delivery.

This module also tells the inbox how to list a notice, which notices members may see (sent ones: a
withdrawn notice vanishes from every inbox with no row touched) and what its push says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from server.db import db, utcnow
from server.inbox import push
from server.inbox import services as inbox
from server.inbox.models import InboxKind
from server.inbox.sources import Entry, PushMessage, Source, register
from server.notices import audience
from server.notices.models import Notice, NoticeStatus
from server.notices.services import PURPOSE
from server.orgs.models import Organisation
from server.timezone import to_local
from server.wechat import subscribe

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivered:
    inboxes: int
    pushes: int


def deliver(notice_id: int, now: datetime | None = None) -> Delivered:
    """Inbox rows and first-round push rows for every recipient, committing after each window; then the push
    jobs. Nothing for a notice that is not (or no longer) sent."""
    now = now or utcnow()
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.status is not NoticeStatus.SENT:
        return Delivered(0, 0)
    recipients = audience.recipients(notice)
    template = subscribe.template(PURPOSE)
    due = push.not_before(notice.urgent, now)
    inboxes = pushes = 0
    for low, high in inbox.member_windows(recipients):
        window = inbox.in_window(recipients, low, high)
        inboxes += inbox.deliver(InboxKind.NOTICE, notice.id, window, now=notice.sent_at)
        if template:
            pushes += push.create(InboxKind.NOTICE, notice.id, 0, template["template_id"], window, due=due, now=now)
        db.session.commit()
    db.session.refresh(notice)
    if notice.status is not NoticeStatus.SENT:
        return Delivered(inboxes, pushes)  # withdrawn meanwhile: its pushes were cancelled, none are started
    if notice.delivered_at is None:
        notice.delivered_at = utcnow()
    if template:
        from server.inbox.tasks import start

        start(InboxKind.NOTICE, notice.id, 0, due)
    db.session.commit()
    log.info("notice %s delivered: %s new in inboxes, %s new pushes (due %s)", notice.id, inboxes, pushes, due or "now")
    return Delivered(inboxes, pushes)


# --- what the inbox and the push engine know of notices -------------------------------------------------------


def _visible(ref_id: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    return ref_id.in_(sa.select(Notice.id).where(Notice.status == NoticeStatus.SENT))


def subtitle(org_name: str, ack_required: bool) -> str:
    return f"{org_name} · 需回执" if ack_required else org_name


def _describe(notice_ids: list[int]) -> dict[int, Entry]:
    rows = db.session.execute(
        sa.select(Notice.id, Notice.title, Notice.ack_required, Organisation.name)
        .join(Organisation, Organisation.id == Notice.org_id)
        .where(Notice.id.in_(notice_ids))
    ).all()
    return {row.id: Entry(row.title, subtitle(row.name, row.ack_required), None) for row in rows}


def _message(notice_id: int) -> PushMessage | None:
    notice = db.session.get(Notice, notice_id)
    template = subscribe.template(PURPOSE)
    if notice is None or notice.status is not NoticeStatus.SENT or template is None:
        return None
    values = {"notice_title": notice.title, "org_name": notice.org.name, "sent_at": to_local(notice.sent_at)}
    return PushMessage(template, values, f"{template['page']}?id={notice.id}")


def _urgent(notice_id: int) -> bool:
    return bool(db.session.scalar(sa.select(Notice.urgent).where(Notice.id == notice_id)))


register(Source(InboxKind.NOTICE, visible=_visible, describe=_describe, message=_message, urgent=_urgent))
