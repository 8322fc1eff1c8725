"""Dues remittances (上缴) up the tree, and the monthly arrears reminder's claims.

Remittances are an append-only journal: a mistake is corrected by a reversing entry (the same amount,
negated, pointing at the entry it reverses; at most one reversal per entry, by a unique constraint),
never by editing or deleting, so every level's balance can be traced entry by entry.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import UTCDateTime, db, utcnow
from server.orgs.models import Organisation, enum_column


class DuesRemittance(db.Model):
    """An amount a branch or general branch handed up to its parent for a range of months."""

    __tablename__ = "dues_remittances"
    __table_args__ = (
        sa.CheckConstraint("last_month >= first_month", name="months_in_order"),
        sa.CheckConstraint("amount_fen <> 0", name="amount_not_zero"),
        sa.CheckConstraint("from_org_id <> to_org_id", name="not_to_itself"),
        sa.Index("ix_dues_remittances_from_month", "from_org_id", "last_month"),
        sa.Index("ix_dues_remittances_to_month", "to_org_id", "last_month"),
    )
    __audited__ = True
    __audit_entity__ = "dues_remittance"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: who remitted
    from_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: who received: the remitter's parent when recorded
    to_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: the months the money is for (first days); the ledger counts the entry in ``last_month``
    first_month: Mapped[date]
    last_month: Mapped[date]
    #: fen; negative only in a reversing entry
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: the entry this one reverses (a correction); one reversal per entry
    reverses_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("dues_remittances.id", ondelete="RESTRICT"), unique=True
    )
    #: receipt number, bank reference or why it was reversed
    note: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    #: admin who recorded it
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: when (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    from_org: Mapped[Organisation] = relationship(foreign_keys=[from_org_id])
    to_org: Mapped[Organisation] = relationship(foreign_keys=[to_org_id])

    def audit_label(self) -> str:
        return f"org #{self.from_org_id} → #{self.to_org_id} {self.first_month:%Y-%m}–{self.last_month:%Y-%m}"

    def audit_org_id(self) -> int | None:
        return self.from_org_id


class DuesReminderOutcome(enum.StrEnum):
    SENDING = "sending"  # claimed and being sent; left so by a worker that died: never sent again
    SENT = "sent"
    NOT_SUBSCRIBED = "not_subscribed"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    NO_WECHAT = "no_wechat"  # the member has not bound WeChat: counted, nothing sent


#: what the arrears page says of a member's last reminder
REMINDER_OUTCOME_LABELS = {
    DuesReminderOutcome.SENDING: "发送中断，不再重发",
    DuesReminderOutcome.SENT: "已发送",
    DuesReminderOutcome.NOT_SUBSCRIBED: "未发送：党员未开启党费提醒",
    DuesReminderOutcome.FAILED: "未发送：微信拒绝",
    DuesReminderOutcome.UNCERTAIN: "可能已发送（微信未答复）",
    DuesReminderOutcome.NO_WECHAT: "未发送：未绑定微信",
}


class DuesReminder(db.Model):
    """A member's arrears reminder for one month, claimed before it is sent: at most one per month."""

    __tablename__ = "dues_reminders"

    #: who
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    #: the month it was sent in (first day)
    month: Mapped[date] = mapped_column(primary_key=True)
    #: consecutive unpaid months when claimed
    streak: Mapped[int]
    #: what became of it
    outcome: Mapped[DuesReminderOutcome] = mapped_column(enum_column(DuesReminderOutcome, "dues_reminder_outcome"))
    #: last change (UTC)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
