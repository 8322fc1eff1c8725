"""Meeting jobs: the reminder the day before, through WeChat subscribe messages; the minutes chains'
anchors, exported hourly, and their full verification, every night."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from huey import crontab

from server.audit.context import SYSTEM, acting_as
from server.audit.services import record
from server.auth.models import WechatBinding
from server.db import db, utcnow
from server.meetings import anchors, minutes
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


@periodic_job(crontab(minute="15"))
def export_minutes_anchors() -> int:
    """Hourly: append each minutes chain's new head to the anchor file outside the database."""
    count = minutes.export_anchors()
    db.session.rollback()
    log.info("minutes anchors: %s chain heads appended to %s", count, anchors.anchor_file())
    return count


def _record_broken(name: str, org_id: int | None, report: minutes.ChainReport) -> None:
    messages = [problem["message"] for problem in report.problems]
    log.error("minutes chain of %s failed verification: %s", name, "；".join(messages))
    record(
        "minutes.chain_broken",
        "organisation" if org_id else "anchor_file",
        entity_id=org_id,
        label=name,
        org_id=org_id,
        detail={"problems": messages[:20]},
    )


@periodic_job(crontab(hour="19", minute="40"))  # 03:40 in Beijing: Huey's schedule is in UTC
def check_minutes_chains() -> dict[str, int]:
    """Nightly: verify every minutes chain against the database and the anchors. Each broken chain is
    logged and recorded in the audit trail where its organisation's admins see it; the run itself is
    recorded for the superadmin, so a check that stopped running is noticed too."""
    result = minutes.verify_all()
    with acting_as(SYSTEM):
        for org_id, report in result.reports.items():
            if not report.ok:
                _record_broken(f"{result.organisations[org_id].name}（#{org_id}）", org_id, report)
        if not result.anchor_file.ok:
            _record_broken("锚点文件", None, result.anchor_file)
        broken = [report for report in result.reports.values() if not report.ok]
        summary = {
            "organisations": len(result.reports),
            "broken": len(broken),
            "problems": sum(len(report.problems) for report in [*broken, result.anchor_file]),
        }
        record("minutes.chain_check", "minutes", label="会议记录链校验", detail=summary)
    db.session.commit()
    log.info("minutes chains verified: %s", summary)
    return summary
