"""A notice's life: written and sent now, at a set time, or after review; withdrawn; reminded.

Rules, each refused with a Chinese message the sender can act on:

- the sending organisation is one the admin may write in (never a party group); every target lies in
  the admin's scope (else "missing", as a record that does not exist) and in the sender's subtree;
- one account sends at most the daily limit of notices (server/notices/rules.py);
- a notice reaching more members than the committee's ``review_above`` waits for review by an admin of a
  higher organisation (not the author); a secretary's notice to their own branch never does;
- a withdrawn notice vanishes from every inbox (the inbox filters on its status) and its pending
  pushes are cancelled;
- a reminder is a new push round for the recipients who have not read it (not acknowledged it, when it
  asks for that), decided when the secretary taps 提醒; a member who reads (acknowledges) before their
  reminder goes out has it cancelled (server/notices/receipts.py).

Operations flush, never commit; the request (or the periodic job) commits once, and jobs are queued after
that commit. Every change is a change of an audited row, or recorded as an action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from server.auth.models import AdminUser
from server.auth.scope import can_see_org, in_scope, require_org, require_write
from server.db import db, utcnow
from server.errors import AppError, NotFound
from server.inbox import push
from server.inbox.models import InboxItem, InboxKind
from server.notices import audience, rules
from server.notices.attachments import Stored
from server.notices.audience import Targets
from server.notices.models import Notice, NoticeAck, NoticeStatus, NoticeTarget
from server.orgs.models import Organisation, OrgKind
from server.tasks import enqueue_after_commit
from server.wechat import subscribe

NOTICE_MISSING = "通知不存在"
PURPOSE = "notice"
TITLE_MAX, BODY_MAX = 40, 1000
SCHEDULE_HORIZON = timedelta(days=90)
AUTHOR_CANNOT_REVIEW = "不能审核自己发出的通知，请由上级组织的管理员审核"
GROUP_CANNOT_SEND = "党小组不能单独发通知，请以所在支部的名义发送"


@dataclass(frozen=True)
class Draft:
    """What the compose form says, parsed (server/notices/forms.py)."""

    title: str
    body: str
    ack_required: bool = False
    ack_deadline: datetime | None = None
    send_at: datetime | None = None
    urgent: bool = False


# --- finding ---------------------------------------------------------------------------------------------


def get_notice(admin: AdminUser, notice_id: int, *, write: bool = False) -> Notice:
    """A notice of an organisation ``admin`` administers; any other is "missing"."""
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(NOTICE_MISSING)
    require_org(admin, notice.org, write=write, missing=NOTICE_MISSING)
    return notice


def sending_orgs(admin: AdminUser) -> list[Organisation]:
    """Organisations ``admin`` may send as: every live one in the scope but party groups."""
    from server.orgs.services import live_orgs_under

    query = live_orgs_under(admin.scope_path).where(Organisation.kind != OrgKind.GROUP)
    return list(db.session.scalars(query.order_by(Organisation.path)))


# --- writing and sending ----------------------------------------------------------------------------------


def _text(value: str, limit: int, what: str, field: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise AppError(f"{field}_required", f"请填写{what}", status=422, fields={field: ["此项必填"]})
    if len(value) > limit:
        message = f"{what}不能超过 {limit} 个字"
        raise AppError(f"{field}_too_long", message, status=422, fields={field: [message]})
    return value


def _check_times(draft: Draft, now: datetime) -> None:
    if draft.send_at is not None and draft.send_at <= now:
        message = "定时发送的时间已过，请选择稍后的时间，或选择立即发送"
        raise AppError("schedule_past", message, status=422, fields={"send_at": [message]})
    if draft.send_at is not None and draft.send_at > now + SCHEDULE_HORIZON:
        message = "定时发送最多可提前 90 天"
        raise AppError("schedule_too_far", message, status=422, fields={"send_at": [message]})
    if draft.ack_deadline is not None:
        if not draft.ack_required:
            return
        if draft.ack_deadline <= max(now, draft.send_at or now):
            message = "回执截止时间应晚于发送时间"
            raise AppError("deadline_past", message, status=422, fields={"ack_deadline": [message]})


def needs_review(admin: AdminUser, sender: Organisation, targets: Targets, size: int) -> bool:
    if audience.within_own_branch(admin, targets):
        return False
    threshold = rules.for_org(sender).review_above
    return threshold is not None and size > threshold


def compose(
    admin: AdminUser,
    sender: Organisation,
    draft: Draft,
    targets: Targets,
    attachment: Stored | None = None,
    now: datetime | None = None,
) -> Notice:
    """A new notice: sent at once, scheduled, or waiting for review when its audience is large."""
    now = now or utcnow()
    require_org(admin, sender, write=True)
    if sender.kind is OrgKind.GROUP:
        raise AppError("group_cannot_send", GROUP_CANNOT_SEND, status=422)
    title = _text(draft.title, TITLE_MAX, "通知标题", "title", required=True)
    body = _text(draft.body, BODY_MAX, "通知内容", "body", required=False)
    if not targets:
        raise AppError("notice_no_targets", audience.NO_TARGETS, status=422)
    _check_times(draft, now)
    rules.check_daily_limit(admin, sender, now)
    size = audience.reach(targets)
    if size == 0:
        raise AppError("notice_nobody", "所选范围内没有党员，请重新选择", status=422)
    review = needs_review(admin, sender, targets, size)
    notice = Notice(
        org=sender,
        author_id=admin.id,
        title=title,
        body=body,
        ack_required=draft.ack_required,
        ack_deadline=draft.ack_deadline if draft.ack_required else None,
        urgent=draft.urgent,
        send_at=draft.send_at,
        audience_size=size,
        status=NoticeStatus.PENDING_REVIEW if review else NoticeStatus.SCHEDULED,
        created_at=now,
    )
    if attachment is not None:
        notice.attachment, notice.attachment_kind, notice.attachment_name = (
            attachment.name,
            attachment.kind,
            attachment.original,
        )
    notice.targets = [NoticeTarget(org=org) for org in targets.orgs] + [
        NoticeTarget(member=member) for member in targets.members
    ]
    db.session.add(notice)
    db.session.flush()
    if not review and draft.send_at is None:
        _send_now(notice, now)
    return notice


def _send_now(notice: Notice, now: datetime) -> Notice:
    from server.notices.tasks import deliver_notice

    notice.audit_step = "send"  # type: ignore[attr-defined]  (the audit trail names the step)
    notice.status, notice.sent_at = NoticeStatus.SENT, now
    db.session.flush()
    enqueue_after_commit(deliver_notice, notice.id)
    return notice


def send_due(now: datetime | None = None) -> list[int]:
    """Send every scheduled notice whose time has come (run by the periodic job as the system); their ids."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Notice)
        .where(Notice.status == NoticeStatus.SCHEDULED, Notice.send_at <= now)
        .order_by(Notice.send_at, Notice.id)
        .with_for_update(skip_locked=True)
    ).all()
    return [_send_now(notice, now).id for notice in due]


def undelivered(before: datetime) -> list[int]:
    """Sent notices whose delivery has not finished although they were sent before ``before``."""
    return list(
        db.session.scalars(
            sa.select(Notice.id).where(
                Notice.status == NoticeStatus.SENT, Notice.delivered_at.is_(None), Notice.sent_at < before
            )
        )
    )


# --- review ---------------------------------------------------------------------------------------------


def may_review(admin: AdminUser, notice: Notice) -> bool:
    """An admin of a higher organisation (for a root committee: another admin of it), writing, not the author."""
    if notice.status is not NoticeStatus.PENDING_REVIEW or not admin.role.can_write or admin.id == notice.author_id:
        return False
    above = notice.org.parent or notice.org
    return can_see_org(admin, above)


def _require_reviewer(admin: AdminUser, notice: Notice) -> None:
    require_org(admin, notice.org, missing=NOTICE_MISSING)
    require_write(admin)
    if notice.author_id is not None and admin.id == notice.author_id:
        raise AppError("author_cannot_review", AUTHOR_CANNOT_REVIEW, status=403)
    if notice.status is not NoticeStatus.PENDING_REVIEW:
        raise AppError("wrong_notice_status", "这条通知不在待审核状态", status=409)
    if not may_review(admin, notice):
        raise AppError("reviewer_not_higher", "需由上级组织的管理员审核", status=403)


def approve(admin: AdminUser, notice: Notice, now: datetime | None = None) -> Notice:
    now = now or utcnow()
    _require_reviewer(admin, notice)
    notice.reviewer_id, notice.reviewed_at = admin.id, now
    if notice.send_at is not None and notice.send_at > now:
        notice.audit_step = "approve"  # type: ignore[attr-defined]
        notice.status = NoticeStatus.SCHEDULED
        db.session.flush()
        return notice
    return _send_now(notice, now)


def reject(admin: AdminUser, notice: Notice, note: str, now: datetime | None = None) -> Notice:
    _require_reviewer(admin, notice)
    note = (note or "").strip()
    if not note:
        raise AppError("note_required", "请写明不通过的原因", status=422, fields={"note": ["此项必填"]})
    notice.audit_step = "reject"  # type: ignore[attr-defined]
    notice.status, notice.reviewer_id, notice.reviewed_at = NoticeStatus.REJECTED, admin.id, now or utcnow()
    notice.review_note = note[:500]
    db.session.flush()
    return notice


def review_queue(admin: AdminUser) -> list[Notice]:
    """Notices waiting for ``admin``'s review, the longest waiting first."""
    waiting = db.session.scalars(
        sa.select(Notice)
        .where(in_scope(Notice.org_id, admin), Notice.status == NoticeStatus.PENDING_REVIEW)
        .options(sa.orm.joinedload(Notice.org), sa.orm.joinedload(Notice.author))
        .order_by(Notice.created_at, Notice.id)
    )
    return [notice for notice in waiting if may_review(admin, notice)]


# --- withdrawing and reminding ----------------------------------------------------------------------------


def withdraw(admin: AdminUser, notice: Notice, now: datetime | None = None) -> Notice:
    now = now or utcnow()
    require_org(admin, notice.org, write=True, missing=NOTICE_MISSING)
    if notice.status in (NoticeStatus.WITHDRAWN, NoticeStatus.REJECTED):
        raise AppError("wrong_notice_status", "这条通知已撤回或未通过审核", status=409)
    notice.audit_step = "withdraw"  # type: ignore[attr-defined]
    notice.status, notice.withdrawn_at = NoticeStatus.WITHDRAWN, now
    db.session.flush()
    push.cancel_pending(InboxKind.NOTICE, notice.id, now)
    return notice


def not_done(notice: Notice) -> sa.Select:
    """The recipients who have not read it, or, for a notice asking for it, not acknowledged it."""
    items = InboxItem.__table__.c
    query = sa.select(items.member_id).where(items.kind == InboxKind.NOTICE, items.ref_id == notice.id)
    if notice.ack_required:
        acked = sa.select(NoticeAck.member_id).where(NoticeAck.notice_id == notice.id)
        return query.where(items.member_id.not_in(acked))
    return query.where(items.read_at.is_(None))


@dataclass(frozen=True)
class Reminded:
    round: int
    members: int
    pushes: int


def remind(admin: AdminUser, notice: Notice, now: datetime | None = None) -> Reminded:
    """Push the notice again to those who have not read (acknowledged) it: a new round, once."""
    now = now or utcnow()
    require_org(admin, notice.org, write=True, missing=NOTICE_MISSING)
    if notice.status is not NoticeStatus.SENT or notice.delivered_at is None:
        raise AppError("notice_not_sent", "通知送达后才能提醒", status=409)
    interval = timedelta(minutes=current_app.config["NOTICE_REMIND_INTERVAL_MINUTES"])
    if notice.reminded_at is not None and now < notice.reminded_at + interval:
        wait = max(1, int((notice.reminded_at + interval - now).total_seconds() // 60) + 1)
        raise AppError("remind_too_soon", f"刚刚提醒过，请 {wait} 分钟后再提醒", status=429)
    remaining = not_done(notice)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(remaining.subquery())) or 0
    if count == 0:
        what = "确认收到" if notice.ack_required else "阅读"
        raise AppError("nobody_to_remind", f"所有人都已{what}，无需提醒", status=409)
    notice.audit_step = "remind"  # type: ignore[attr-defined]
    notice.reminders += 1
    notice.reminded_at = now
    db.session.flush()
    template = subscribe.template(PURPOSE)
    pushes = 0
    if template:
        due = push.not_before(notice.urgent, now)
        pushes = push.create(InboxKind.NOTICE, notice.id, notice.reminders, template["template_id"], remaining, due=due)
        from server.inbox.tasks import start

        start(InboxKind.NOTICE, notice.id, notice.reminders, due)
    return Reminded(notice.reminders, count, pushes)
