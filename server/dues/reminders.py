"""The monthly arrears reminder: members WARN_MONTHS or more behind get one subscribe message a month.

Each member's reminder for the month is claimed in ``dues_reminders`` (primary key member + month,
committed) before anything is sent, so a retry, a duplicate delivery or two workers running the job at
once never remind anyone twice in a month; the price is at most one reminder lost if a worker dies
between the claim and the send (the meetings' reminder makes the same trade, server/meetings/tasks.py).
WeChat busy (certainly not sent): the claim is withdrawn and the job is retried. Consent is counted in
``server.subscriptions`` as for the meeting reminder.
"""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa

from server.auth.models import WechatBinding
from server.db import db, insert_unless_present, utcnow
from server.dues.arrears import FLAG_MONTHS, WARN_MONTHS, streaks
from server.dues.ledger_models import DuesReminder, DuesReminderOutcome
from server.dues.months import current_month
from server.members.schemas import fen_to_yuan
from server.subscriptions import services as consent
from server.wechat import get_wechat, subscribe
from server.wechat.errors import WeChatError, WeChatUnavailable

log = logging.getLogger(__name__)
NOT_SUBSCRIBED = {43101}
_CLAIM = insert_unless_present(
    DuesReminder.__table__,
    ["member_id", "month", "streak", "outcome", "updated_at"],
    unique=["member_id", "month"],
    returning="member_id",
)


def status_text(months: int) -> str:
    """The template's ``status`` (a phrase field: five characters at most)."""
    return "已满六个月" if months >= FLAG_MONTHS else "请尽快缴纳"


def _claim(member_id: int, month: date, streak: int) -> bool:
    values = {"member_id": member_id, "month": month, "streak": streak}
    taken = db.session.execute(_CLAIM, values | {"outcome": DuesReminderOutcome.SENDING, "updated_at": utcnow()})
    taken = taken.first()
    db.session.commit()
    return taken is not None


def _settle(member_id: int, month: date, outcome: DuesReminderOutcome | None) -> None:
    where = sa.and_(DuesReminder.member_id == member_id, DuesReminder.month == month)
    if outcome is None:
        db.session.execute(sa.delete(DuesReminder).where(where))
    else:
        db.session.execute(sa.update(DuesReminder).where(where).values(outcome=outcome, updated_at=utcnow()))
    db.session.commit()


def _send(openid: str, tpl: dict, data: dict[str, str]) -> DuesReminderOutcome:
    try:
        get_wechat().send_subscribe_message(openid, tpl["template_id"], data, page=tpl["page"])
    except WeChatUnavailable as exc:
        if not exc.uncertain:
            raise
        return DuesReminderOutcome.UNCERTAIN
    except WeChatError as exc:
        if exc.errcode in NOT_SUBSCRIBED:
            return DuesReminderOutcome.NOT_SUBSCRIBED
        log.warning("dues reminder to %s refused by WeChat: %s", openid, exc)
        return DuesReminderOutcome.FAILED
    return DuesReminderOutcome.SENT


def due(month: date) -> list[sa.Row]:
    """Members WARN_MONTHS or more behind not reminded this month: their run's columns and openid (or None)."""
    runs = streaks("/", minimum=WARN_MONTHS, today=month).subquery("runs")
    reminded = sa.exists().where(DuesReminder.member_id == runs.c.member_id, DuesReminder.month == month)
    return db.session.execute(
        sa.select(runs, WechatBinding.openid)
        .outerjoin(WechatBinding, WechatBinding.member_id == runs.c.member_id)
        .where(~reminded)
        .order_by(runs.c.member_id)
    ).all()


def send_reminders(month: date | None = None) -> dict[str, int]:
    """Remind this month every member in arrears not reminded yet; counts by outcome."""
    month = month or current_month()
    counts = {outcome.value: 0 for outcome in DuesReminderOutcome if outcome is not DuesReminderOutcome.SENDING}
    tpl = subscribe.template("dues_reminder")
    rows = due(month)
    db.session.rollback()  # no transaction held open while sending
    for row in rows:
        if not _claim(row.member_id, month, row.months):
            continue  # another worker has this member
        if row.openid is None or tpl is None:
            outcome = DuesReminderOutcome.NO_WECHAT
        else:
            values = {
                "amount": f"{fen_to_yuan(int(row.owed_fen))}元",
                # a character_string field takes no Chinese
                "months": f"{row.first_month:%Y-%m}~{row.last_month:%Y-%m}",
                "status": status_text(row.months),
            }
            try:
                outcome = _send(row.openid, tpl, subscribe.message_data(tpl, values))
            except WeChatUnavailable:
                _settle(row.member_id, month, None)
                raise
            if outcome in (DuesReminderOutcome.SENT, DuesReminderOutcome.UNCERTAIN):
                consent.used_one(row.member_id, row.openid, tpl["template_id"])
            elif outcome is DuesReminderOutcome.NOT_SUBSCRIBED:
                consent.consent_gone(row.member_id, tpl["template_id"])
        _settle(row.member_id, month, outcome)
        counts[outcome.value] += 1
    log.info("dues reminders for %s: %s", month, counts)
    return counts
