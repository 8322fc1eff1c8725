"""Meeting jobs: the reminder the day before, through WeChat subscribe messages; the minutes chains'
anchors, exported hourly, and their full verification, every night.

Each member's reminder is claimed in ``meeting_reminders`` (committed) before it is sent, so no member is
reminded twice in a round, whatever runs the job again: Huey's retry, a duplicate delivery, or the sweep
after a worker died. The price is at most one reminder lost, if a worker dies between the claim and
the send. When WeChat says it did nothing (busy, a rate limit) the claim is withdrawn and the job
retried with a growing delay; when it may have delivered (no answer in time, a failing gateway) the
reminder is recorded as uncertain and not sent again.

Consent: WeChat's quota is the truth, our count (``server.subscriptions``) is what we believe and what the
member sees. So every bound participant is tried, counted consent or not: the report of a tap can be lost
on a poor network, and a try without consent costs one call and delivers nothing (43101). Each message
that went out, or may have, uses one of our count; a 43101 sets it to zero, and the member's page then
says 未开启 where it said the reminder was on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from huey import crontab

from server.audit.context import SYSTEM, acting_as
from server.audit.services import record
from server.auth.models import WechatBinding
from server.db import db, insert_unless_present, utcnow
from server.meetings import anchors, minutes
from server.meetings.models import Meeting, MeetingReminder, ReminderOutcome, meeting_participants
from server.members.models import Member
from server.subscriptions import services as consent
from server.tasks import enqueue_after_commit, job, periodic_job
from server.timezone import to_local
from server.wechat import get_wechat, subscribe
from server.wechat.errors import WeChatError, WeChatUnavailable

log = logging.getLogger(__name__)
REMIND_AHEAD = timedelta(hours=24)
NOT_SUBSCRIBED = {43101}  # the member gave no (or used up their) one-time consent: nothing to send
_CLAIM = insert_unless_present(
    MeetingReminder.__table__,
    ["meeting_id", "round_at", "member_id", "outcome", "updated_at"],
    unique=["meeting_id", "round_at", "member_id"],
    returning="member_id",
)


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


def _unreminded(meeting_id, round_at) -> sa.Select:
    """(member id, openid) of the meeting's participants who bound WeChat and have no reminder this round.

    The arguments may be columns of an enclosing query on ``Meeting``, to ask this of many meetings.
    """
    # correlate_except: the meeting's columns come from the enclosing query however deep these sit.
    orgs = (
        sa.select(meeting_participants.c.org_id)
        .where(meeting_participants.c.meeting_id == meeting_id)
        .correlate_except(meeting_participants)
    )
    claimed = (
        sa.exists()
        .where(
            MeetingReminder.meeting_id == meeting_id,
            MeetingReminder.round_at == round_at,
            MeetingReminder.member_id == Member.id,
        )
        .correlate_except(MeetingReminder)
    )
    return (
        sa.select(Member.id, WechatBinding.openid)
        .join(WechatBinding, WechatBinding.member_id == Member.id)
        .where(sa.or_(Member.org_id.in_(orgs), Member.group_id.in_(orgs)), ~claimed)
    )


def stalled_reminders(now: datetime) -> list[int]:
    """Meetings still ahead whose reminders fell due a lease ago and are not all sent: their job was lost."""
    lease = timedelta(minutes=current_app.config["JOB_LEASE_MINUTES"])
    return list(
        db.session.scalars(
            sa.select(Meeting.id).where(
                Meeting.reminder_sent_at <= now - lease,
                Meeting.cancelled_at.is_(None),
                Meeting.starts_at > now,
                _unreminded(Meeting.id, Meeting.reminder_sent_at).exists(),
            )
        )
    )


def _claim(meeting_id: int, round_at: datetime, member_id: int) -> bool:
    """Take this member's reminder for this worker, committed before anything is sent."""
    params = {"meeting_id": meeting_id, "round_at": round_at, "member_id": member_id}
    taken = db.session.execute(_CLAIM, params | {"outcome": ReminderOutcome.SENDING, "updated_at": utcnow()}).first()
    db.session.commit()
    return taken is not None


def _reminder(meeting_id: int, round_at: datetime, member_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        MeetingReminder.meeting_id == meeting_id,
        MeetingReminder.round_at == round_at,
        MeetingReminder.member_id == member_id,
    )


def _settle(meeting_id: int, round_at: datetime, member_id: int, outcome: ReminderOutcome | None) -> None:
    """Record what became of a claimed reminder; None withdraws the claim (nothing was sent)."""
    where = _reminder(meeting_id, round_at, member_id)
    if outcome is None:
        db.session.execute(sa.delete(MeetingReminder).where(where))
    else:
        db.session.execute(sa.update(MeetingReminder).where(where).values(outcome=outcome, updated_at=utcnow()))
    db.session.commit()


def _send(openid: str, tpl: dict, data: dict[str, str], page: str) -> ReminderOutcome:
    """Send one reminder; raises WeChatUnavailable only when WeChat certainly did not send it."""
    try:
        get_wechat().send_subscribe_message(openid, tpl["template_id"], data, page=page)
    except WeChatUnavailable as exc:
        if not exc.uncertain:
            raise
        log.warning("reminder to %s may or may not have arrived, not sent again: %s", openid, exc)
        return ReminderOutcome.UNCERTAIN
    except WeChatError as exc:
        if exc.errcode in NOT_SUBSCRIBED:
            return ReminderOutcome.NOT_SUBSCRIBED
        log.warning("reminder to %s refused by WeChat: %s", openid, exc)
        return ReminderOutcome.FAILED
    return ReminderOutcome.SENT


def _count_consent(member_id: int, openid: str, template_id: str, outcome: ReminderOutcome) -> None:
    """Keep our count of the member's consent in step with what WeChat just did."""
    if outcome in (ReminderOutcome.SENT, ReminderOutcome.UNCERTAIN):
        consent.used_one(member_id, openid, template_id)  # an uncertain one may have used it: show less, not more
    elif outcome is ReminderOutcome.NOT_SUBSCRIBED:
        consent.consent_gone(member_id, template_id)


@job(retries=4, retry_delay=60, retry_backoff=2)
def send_meeting_reminder(meeting_id: int) -> dict[str, int]:
    """Remind every bound participant not yet reminded this round; asked again later when WeChat is busy."""
    counts = {outcome.value: 0 for outcome in ReminderOutcome if outcome is not ReminderOutcome.SENDING}
    meeting = db.session.get(Meeting, meeting_id)
    tpl = subscribe.template("meeting_reminder")
    if meeting is None or meeting.cancelled_at is not None or meeting.reminder_sent_at is None or tpl is None:
        return counts  # cancelled, or moved and not due again yet
    round_at = meeting.reminder_sent_at
    values = {"meeting_title": meeting.title, "starts_at": to_local(meeting.starts_at), "place": meeting.place}
    data, page = subscribe.message_data(tpl, values), f"{tpl['page']}?meeting={meeting.id}"
    recipients = db.session.execute(_unreminded(meeting.id, round_at).order_by(Member.id)).all()
    for member_id, openid in recipients:
        if not _claim(meeting.id, round_at, member_id):
            continue  # another delivery of this job has it
        try:
            outcome = _send(openid, tpl, data, page)
        except WeChatUnavailable:
            _settle(meeting.id, round_at, member_id, None)  # not sent: this member is reminded on the retry
            raise
        _count_consent(member_id, openid, tpl["template_id"], outcome)
        _settle(meeting.id, round_at, member_id, outcome)  # commits the count with the outcome
        counts[outcome.value] += 1
    log.info("meeting %s reminders: %s", meeting.id, counts)
    return counts


def queue_reminders(now: datetime | None = None) -> list[int]:
    """Queue the reminders that fell due, and again those whose job was lost; the meetings' ids."""
    now = now or utcnow()
    meeting_ids = due_reminders(now) + stalled_reminders(now)
    for meeting_id in meeting_ids:
        enqueue_after_commit(send_meeting_reminder, meeting_id)
    db.session.commit()
    return meeting_ids


@periodic_job(crontab(minute="*/10"))
def queue_meeting_reminders() -> None:
    """Every ten minutes: remind participants of meetings starting within the next day."""
    queue_reminders()


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
