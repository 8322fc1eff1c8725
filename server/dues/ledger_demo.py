"""Demo follow-up of the dues year: the month's arrears reminders, each branch and general branch's
quarterly remittance of the past quarters (for what it collected or received), and one WeChat refund
that WeChat could not pay back (ABNORMAL), waiting for the finance admin on the reconciliation page.

The members behind are made so by ``demo.seed_dues``, which never pays their months: every paid bill
has the payment that paid it, as in real use."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from server.auth.models import WechatBinding
from server.db import db, utcnow
from server.dues.arrears import members_in_arrears
from server.dues.ledger import ledger
from server.dues.ledger_models import DuesReminder, DuesReminderOutcome, DuesRemittance
from server.dues.months import add_months, current_month
from server.dues.payment_models import Channel, DuesPayment, DuesRefund, PaymentStatus, RefundKind, RefundStatus
from server.dues.payments import new_trade_no
from server.members.models import Member
from server.orgs.models import Organisation
from server.subscriptions.models import Subscription
from server.timezone import display_zone
from server.wechat import subscribe


def _handed_up(last: date, *, day: int) -> datetime:
    """When a quarter's money was handed up: on ``day`` of the month after it, 10:00 Beijing (not later than now)."""
    return min(datetime.combine(add_months(last, 1).replace(day=day), time(10), tzinfo=display_zone()), utcnow())


def _past_quarters(this: date) -> list[tuple[date, date]]:
    """Quarters that have ended and began no more than a year ago, oldest first."""
    start = date(this.year, 3 * ((this.month - 1) // 3) + 1, 1)
    quarters = [(add_months(start, -3 * n), add_months(start, -3 * n + 2)) for n in (4, 3, 2, 1)]
    return [(first, last) for first, last in quarters if first >= add_months(this, -11)]


def seed_ledger(branches: list[Organisation], members: list[Member]) -> None:
    this = current_month()
    _remind_the_behind(this)
    _refund_wechat_could_not_pay_back(branches[:1])
    generals: dict[int, Organisation] = {}
    for first, last in _past_quarters(this):
        handed: dict[int, int] = {}
        for branch in branches:
            collected = ledger(branch, first, last).total.collected_fen
            if collected and branch.parent_id is not None:
                note = f"{first:%Y}年第{(first.month - 1) // 3 + 1}季度党费"
                db.session.add(
                    DuesRemittance(
                        from_org_id=branch.id,
                        to_org_id=branch.parent_id,
                        first_month=first,
                        last_month=last,
                        amount_fen=collected,
                        note=note,
                        created_at=_handed_up(last, day=10),
                    )
                )
                handed[branch.parent_id] = handed.get(branch.parent_id, 0) + collected
                generals.setdefault(branch.parent_id, branch.parent)
        for general_id, amount in handed.items():
            general = generals[general_id]
            if general.parent_id is not None:
                db.session.add(
                    DuesRemittance(
                        from_org_id=general_id,
                        to_org_id=general.parent_id,
                        first_month=first,
                        last_month=last,
                        amount_fen=amount,
                        note="汇总上缴",
                        created_at=_handed_up(last, day=20),
                    )
                )
        db.session.flush()


def _remind_the_behind(month: date) -> None:
    """This morning's reminders, as ``reminders.send_reminders`` leaves them: sent where the member bound
    WeChat and allowed dues reminders (one consent used), otherwise what stopped it."""
    template = subscribe.template("dues_reminder")
    sent_at = utcnow() - timedelta(hours=2)
    for item in members_in_arrears("/", today=month):
        openid = db.session.scalar(sa.select(WechatBinding.openid).where(WechatBinding.member_id == item.member_id))
        consent = template and db.session.get(Subscription, (item.member_id, template["template_id"]))
        if openid is None:
            outcome = DuesReminderOutcome.NO_WECHAT
        elif consent and consent.remaining > 0:
            outcome, consent.remaining = DuesReminderOutcome.SENT, consent.remaining - 1
        else:
            outcome = DuesReminderOutcome.NOT_SUBSCRIBED
        db.session.add(
            DuesReminder(member_id=item.member_id, month=month, streak=item.months, outcome=outcome, updated_at=sent_at)
        )
    db.session.flush()


def _refund_wechat_could_not_pay_back(branches: list[Organisation]) -> None:
    """The latest month of an older WeChat payment in the first branch, refunded two days ago because the
    member had also paid it in cash; WeChat could not return the money (the card was closed): ABNORMAL,
    the month still paid, listed for the finance admin."""
    if not branches:
        return
    payment = db.session.scalar(
        sa.select(DuesPayment)
        .join(Member, Member.id == DuesPayment.member_id)
        .where(
            Member.org_id == branches[0].id,
            DuesPayment.channel == Channel.WECHAT,
            DuesPayment.status == PaymentStatus.PAID,
            DuesPayment.extra_fen == 0,
            DuesPayment.paid_at < utcnow() - timedelta(days=30),
        )
        .order_by(DuesPayment.paid_at.desc())
        .limit(1)
    )
    if payment is None or not payment.lines:
        return
    line = max(payment.lines, key=lambda line: line.month)
    refund = DuesRefund(
        out_refund_no=new_trade_no("R"),
        payment_id=payment.id,
        kind=RefundKind.REFUND,
        status=RefundStatus.ABNORMAL,
        amount_fen=line.amount_fen,
        reason="该月已在支部现金缴纳，退回重复的微信缴费",
        refund_id=f"5030{payment.id:024d}",
        org_id=payment.org_id,
        created_at=utcnow() - timedelta(days=2),
    )
    db.session.add(refund)
    db.session.flush()
    line.refund_id = refund.id
    db.session.flush()
