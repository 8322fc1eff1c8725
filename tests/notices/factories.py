"""Notices as the cross-cutting tests need them (the authorization matrix, the API fuzzer), straight into the
tables: a sent notice with 回执 and a PDF attachment in its branch members' inboxes, and one waiting for review."""

from __future__ import annotations

from datetime import timedelta

from server.auth.models import AdminUser
from server.db import db, utcnow
from server.inbox import services as inbox
from server.inbox.models import InboxKind
from server.notices import attachments, audience
from server.notices.models import AttachmentKind, Notice, NoticeStatus, NoticeTarget
from server.orgs.models import Organisation

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def sent_notice(branch: Organisation, author: AdminUser | None, *, ack: bool = True) -> Notice:
    """Sent now to the whole branch and in every member's inbox, with a PDF attachment."""
    now = utcnow()
    name = attachments._write(PDF, "pdf")
    notice = Notice(
        org=branch,
        author_id=author.id if author else None,
        title=f"{branch.name}通知",
        body="明天下午三点召开支部党员大会，请准时参加。",
        status=NoticeStatus.SENT,
        ack_required=ack,
        ack_deadline=now + timedelta(days=1) if ack else None,
        sent_at=now,
        delivered_at=now,
        audience_size=0,
        attachment=name,
        attachment_kind=AttachmentKind.PDF,
        attachment_name="会议议程.pdf",
    )
    notice.targets = [NoticeTarget(org=branch)]
    db.session.add(notice)
    db.session.flush()
    inbox.deliver(InboxKind.NOTICE, notice.id, audience.recipients(notice), now=now)
    return notice


def pending_notice(org: Organisation, author: AdminUser) -> Notice:
    """Waiting for review (as above the committee's size), by ``author``."""
    notice = Notice(
        org=org,
        author_id=author.id,
        title=f"{org.name}待审通知",
        body="",
        status=NoticeStatus.PENDING_REVIEW,
        audience_size=1,
    )
    notice.targets = [NoticeTarget(org=org)]
    db.session.add(notice)
    db.session.flush()
    return notice
