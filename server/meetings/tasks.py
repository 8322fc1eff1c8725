"""Meeting jobs: the reminder the day before, through WeChat subscribe messages."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from huey import crontab

from server.auth.models import WechatBinding
from server.db import db, utcnow
from server.meetings.models import Meeting, meeting_participants
from server.members.models import Member
from server.tasks import enqueue_after_commit, job, periodic_job
from server.timezone import to_local
from server.wechat import get_wechat, subscribe
from server.wechat.errors import WeChatError, WeChatUnavailable

log = logging.getLogger(__name__)
REMIND_AHEAD = timedelta(hours=24)
NOT_SUBSCRIBED = {43101}  # the member gave no (or used up their) one-time consent: nothing to send


def due_reminders(now=None) -> list[int]:
    """Mark meetings starting within a day as reminded and return their ids (once each)."""
    now = now or utcnow()
    meetings = db.session.scalars(
        sa.select(Meeting)
        .where(
            Meeting.reminder_sent_at.is_(None),
            Meeting.cancelled_at.is_(None),
            Meeting.starts_at > now,
            Meeting.starts_at <= now + REMIND_AHEAD,
        )
        .with_for_update(skip_locked=True)
    ).all()
    for meeting in meetings:
        meeting.reminder_sent_at = now
    return [meeting.id for meeting in meetings]


def _recipients(meeting: Meeting) -> list[tuple[Member, str]]:
    orgs = sa.select(meeting_participants.c.org_id).where(meeting_participants.c.meeting_id == meeting.id)
    rows = db.session.execute(
        sa.select(Member, WechatBinding.openid)
        .join(WechatBinding, WechatBinding.member_id == Member.id)
        .where(sa.or_(Member.org_id.in_(orgs), Member.group_id.in_(orgs)))
    ).all()
    return [(member, openid) for member, openid in rows]


@job(retries=3, retry_delay=120)
def send_meeting_reminder(meeting_id: int) -> dict[str, int]:
    """Remind every bound participant; members without a subscription are counted, not errors."""
    meeting = db.session.get(Meeting, meeting_id)
    tpl = subscribe.template("meeting_reminder")
    if meeting is None or meeting.cancelled_at is not None or tpl is None:
        return {"sent": 0, "not_subscribed": 0, "failed": 0}
    values = {"meeting_title": meeting.title, "starts_at": to_local(meeting.starts_at), "place": meeting.place}
    data = subscribe.message_data(tpl, values)
    counts = {"sent": 0, "not_subscribed": 0, "failed": 0}
    for member, openid in _recipients(meeting):
        try:
            get_wechat().send_subscribe_message(
                openid, tpl["template_id"], data, page=f"{tpl['page']}?meeting={meeting.id}"
            )
            counts["sent"] += 1
        except WeChatUnavailable:
            raise  # retried later; members already reminded have used their consent, so none is sent twice
        except WeChatError as exc:
            counts["not_subscribed" if exc.errcode in NOT_SUBSCRIBED else "failed"] += 1
            if exc.errcode not in NOT_SUBSCRIBED:
                log.warning("meeting %s reminder to member %s failed: %s", meeting.id, member.id, exc)
    log.info("meeting %s reminders: %s", meeting.id, counts)
    return counts


@periodic_job(crontab(minute="*/10"))
def queue_meeting_reminders() -> None:
    """Every ten minutes: remind participants of meetings starting within the next day."""
    for meeting_id in due_reminders():
        enqueue_after_commit(send_meeting_reminder, meeting_id)
    db.session.commit()
