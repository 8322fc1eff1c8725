"""Demo notices, so the pages show something real at first open: in 书记 shuji1's branch a notice asking for a
receipt (some acknowledged, one late, some only read, the rest not yet) and an ordinary one mostly read; a
general branch's notice to all its branches waiting for the committee's review (the committee asks for
review above 20 members)."""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from server.audit.context import Actor, acting_as
from server.auth.models import AdminUser
from server.db import db, utcnow
from server.inbox import push
from server.inbox import services as inbox
from server.inbox.models import InboxItem, InboxKind, Push, PushStatus
from server.notices import audience, receipts, rules, services
from server.notices.models import Notice, NoticeStatus
from server.orgs.models import Organisation
from server.subscriptions.models import Subscription
from server.subscriptions.services import deployment_templates

REVIEW_ABOVE = 20
MEETING = {
    "title": "明天下午三点召开支部党员大会",
    "body": "时间：明天 15:00\n地点：项目部三楼会议室\n议程：\n1. 学习党的二十届四中全会精神；\n2. 讨论确定发展对象。\n"
    "请准时参加，不能参加的请提前向支部书记请假。",
}
DUES = {
    "title": "关于按时缴纳本月党费的通知",
    "body": "本月党费请于 25 日前在小程序“党费”中缴纳，已缴纳的同志请忽略。",
}
GENERAL = {
    "title": "关于开展冬季安全生产大检查的通知",
    "body": "各支部组织党员对所属工区开展一次安全大检查，12 月 10 日前将检查情况报总支。",
}


def _as(admin: AdminUser):
    return acting_as(Actor("admin", admin.id, admin.display_name))


def _send(author: AdminUser, org: Organisation, spec: dict, hours_ago: int, **draft) -> Notice:
    with _as(author):
        targets = audience.Targets([org], [])
        notice = services.compose(author, org, services.Draft(spec["title"], spec["body"], **draft), targets)
    day = utcnow() - timedelta(hours=hours_ago)
    notice.created_at = day
    if notice.status is NoticeStatus.SENT:
        notice.sent_at = notice.delivered_at = day
    db.session.flush()
    return notice


def _deliver(notice: Notice, template_id: str | None) -> list[int]:
    """Inboxes and first pushes as the delivery job leaves them: consented members' pushes sent."""
    recipients = audience.recipients(notice)
    inbox.deliver(InboxKind.NOTICE, notice.id, recipients, now=notice.sent_at)
    if template_id:
        push.create(InboxKind.NOTICE, notice.id, 0, template_id, recipients, now=notice.sent_at)
        mine = sa.and_(Push.kind == InboxKind.NOTICE, Push.ref_id == notice.id, Push.status == PushStatus.PENDING)
        pushed = sa.select(Push.member_id).where(mine)
        db.session.execute(
            sa.update(Subscription)
            .where(Subscription.template_id == template_id, Subscription.member_id.in_(pushed))
            .values(remaining=Subscription.remaining - 1)
        )
        db.session.execute(sa.update(Push).where(mine).values(status=PushStatus.SENT))
    return list(
        db.session.scalars(
            sa.select(InboxItem.member_id)
            .where(InboxItem.kind == InboxKind.NOTICE, InboxItem.ref_id == notice.id)
            .order_by(InboxItem.member_id)
        )
    )


def seed_notices(rng: random.Random, committee: Organisation) -> None:
    template_id = dict(deployment_templates()).get("notice")
    dangwei = db.session.scalar(sa.select(AdminUser).where(AdminUser.username == "dangwei"))
    shuji = db.session.scalar(sa.select(AdminUser).where(AdminUser.username == "shuji1"))
    zongzhi = db.session.scalar(sa.select(AdminUser).where(AdminUser.username == "zongzhi1"))
    if dangwei is None or shuji is None or zongzhi is None:
        return
    with _as(dangwei):
        rules.save(dangwei, committee, review_above=REVIEW_ABOVE, daily_limit=None)
    now = utcnow()
    dues = _send(shuji, shuji.org, DUES, hours_ago=50)
    for member_id in _deliver(dues, template_id):
        if rng.random() < 0.7:
            receipts.open_notice(member_id, dues, dues.sent_at + timedelta(minutes=rng.randint(5, 600)))
    deadline = now + timedelta(hours=20)
    meeting = _send(shuji, shuji.org, MEETING, hours_ago=3, ack_required=True, ack_deadline=deadline)
    for member_id in _deliver(meeting, template_id):
        roll = rng.random()
        moment = meeting.sent_at + timedelta(minutes=rng.randint(2, 150))
        if roll < 0.45:
            receipts.acknowledge(member_id, meeting, moment)
        elif roll < 0.7:
            receipts.open_notice(member_id, meeting, moment)
    _send(zongzhi, zongzhi.org, GENERAL, hours_ago=1)  # above the committee's size: waits for review
