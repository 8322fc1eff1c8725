"""Party dues: the rules as versioned data, members' bases over time, branch settings, monthly bills.

Months. A dues month is a local (Asia/Shanghai) calendar month stored as the ``date`` of its first day
(``2026-12-01``), never a ``YYYYMM`` int: a date compares, sorts and indexes the same on PostgreSQL and
SQLite, reads plainly in SQL and in Excel, and month arithmetic stays in one helper (``months.py``).
Columns holding a month are named ``month`` or ``*_month`` and always hold a first-of-month date (a
CHECK on PostgreSQL and SQLite alike would need dialect SQL, so :func:`server.dues.months.month_of` is
the one way in).

Money is integer fen (``BigInteger``, names ending ``_fen``). The one rounding rule lives in
``server/dues/rules.py`` (:func:`~server.dues.rules.dues_for`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import UTCDateTime, db, utcnow
from server.members.models import DuesCategory, Member
from server.orgs.models import Organisation, enum_column

#: Categories whose dues are a share of the base (brackets); the others pay a fixed amount.
BRACKET_CATEGORIES = (DuesCategory.EMPLOYED, DuesCategory.RETIRED)


class DuesRule(db.Model):
    """One version of the national rules, in force from ``effective_month`` until the next version."""

    __tablename__ = "dues_rules"
    __table_args__ = (
        sa.CheckConstraint("fixed_low_fen >= 0", name="fixed_low_not_negative"),
        sa.CheckConstraint("farmer_min_fen >= 0 AND farmer_max_fen >= farmer_min_fen", name="farmer_range"),
    )
    __audited__ = True
    __audit_entity__ = "dues_rule"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: first month (first day of it) the version applies to; one version per month
    effective_month: Mapped[date] = mapped_column(unique=True)
    #: where the version comes from, e.g. 中组发〔2008〕3号
    title: Mapped[str] = mapped_column(sa.String(100))
    #: monthly dues of students, laid-off members and members on relief (低保), in fen
    fixed_low_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: the range a branch may set for farmers, in fen
    farmer_min_fen: Mapped[int] = mapped_column(sa.BigInteger)
    farmer_max_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: admin who added it (None: the migration's seed)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: when (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    brackets: Mapped[list[DuesBracket]] = relationship(
        back_populates="rule", order_by="(DuesBracket.category, DuesBracket.upper_fen.is_(None), DuesBracket.upper_fen)"
    )

    def audit_label(self) -> str:
        return f"{self.title}（{self.effective_month:%Y-%m} 起）"

    def audit_org_id(self) -> int | None:
        return None  # national rules: the superadmin's audit page


class DuesBracket(db.Model):
    """A bracket of a rule: bases up to and including ``upper_fen`` pay ``rate_bp`` of the whole base."""

    __tablename__ = "dues_brackets"
    __table_args__ = (
        sa.UniqueConstraint("rule_id", "category", "upper_fen", name="one_bracket_per_bound"),
        sa.CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_in_range"),
        sa.CheckConstraint("upper_fen IS NULL OR upper_fen > 0", name="upper_positive"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the rule version
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("dues_rules.id", ondelete="CASCADE"), index=True)
    #: employed or retired
    category: Mapped[DuesCategory] = mapped_column(enum_column(DuesCategory, "dues_category"))
    #: highest base (inclusive) in fen; None for the open top bracket
    upper_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: rate in basis points (1/10000): 0.5% = 50, 2% = 200
    rate_bp: Mapped[int]

    rule: Mapped[DuesRule] = relationship(back_populates="brackets")


class BaseSource(enum.StrEnum):
    REGISTER = "register"  # the member register (created, edited, imported there, or migrated from it)
    MANUAL = "manual"  # set one by one on the 缴费基数 page
    IMPORT = "import"  # the 缴费基数 Excel import


BASE_SOURCE_LABELS = {BaseSource.REGISTER: "党员名册", BaseSource.MANUAL: "逐个设置", BaseSource.IMPORT: "Excel 导入"}


class DuesBase(db.Model):
    """A member's monthly base from ``effective_month`` on, until their next row.

    ``members.dues_base_fen`` is the register's copy of the base in force now; bills read this
    history, and fall back to the register's value for a month no row covers (members created by the
    register's bulk import, which writes no history).
    """

    __tablename__ = "dues_bases"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "effective_month", name="one_base_per_month"),
        sa.CheckConstraint("base_fen >= 0", name="base_not_negative"),
    )
    __audited__ = True
    __audit_entity__ = "dues_base"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: whose base
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    #: first month it applies to
    effective_month: Mapped[date]
    #: the monthly income base, fen
    base_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: where it came from
    source: Mapped[BaseSource] = mapped_column(enum_column(BaseSource, "dues_base_source"))
    #: admin who set it (None: the register or the migration)
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: when (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: the member's branch when set, for the audit trail's scope
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="SET NULL"))

    member: Mapped[Member] = relationship()

    def audit_label(self) -> str:
        return f"member #{self.member_id} {self.effective_month:%Y-%m}"

    def audit_org_id(self) -> int | None:
        return self.org_id


class DuesBranchSettings(db.Model):
    """What a branch decides itself. A branch without a row has the defaults below."""

    __tablename__ = "dues_branch_settings"
    __table_args__ = (
        sa.CheckConstraint("farmer_fen >= 20 AND farmer_fen <= 100", name="farmer_in_national_range"),
        sa.CheckConstraint("ahead_months >= 0 AND ahead_months <= 12", name="ahead_in_range"),
    )
    __audited__ = True
    __audit_entity__ = "dues_settings"

    #: the branch
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    #: farmers' monthly dues, fen (0.2–1 yuan)
    farmer_fen: Mapped[int] = mapped_column(sa.BigInteger, default=20)
    #: may members pay months ahead (the branch's approval, as a standing setting)
    allow_pay_ahead: Mapped[bool] = mapped_column(default=False)
    #: how many future months, when allowed
    ahead_months: Mapped[int] = mapped_column(default=0)
    #: last change (UTC)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def audit_label(self) -> str:
        return f"org #{self.org_id}"

    def audit_org_id(self) -> int | None:
        return self.org_id


class BillStatus(enum.StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    WAIVED = "waived"  # the branch excused the month (e.g. a member in hardship), with a reason


BILL_STATUS_LABELS = {BillStatus.UNPAID: "未缴", BillStatus.PAID: "已缴", BillStatus.WAIVED: "免缴"}

#: Every allowed change of a bill's status (Indico's registration-state pattern): anything else is a bug.
#: A refund of a paid month returns it to unpaid (the payment side keeps the money's own record).
BILL_TRANSITIONS: dict[BillStatus, frozenset[BillStatus]] = {
    BillStatus.UNPAID: frozenset({BillStatus.PAID, BillStatus.WAIVED}),
    BillStatus.PAID: frozenset({BillStatus.UNPAID}),
    BillStatus.WAIVED: frozenset({BillStatus.UNPAID}),
}


class DuesBill(db.Model):
    """What one member owes for one month, under the rule in force that month; paid exactly once."""

    __tablename__ = "dues_bills"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "month", name="one_bill_per_month"),
        sa.CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        sa.CheckConstraint("voluntary_extra_fen >= 0", name="extra_not_negative"),
        sa.CheckConstraint(
            "(status = 'paid') = (paid_by_payment_id IS NOT NULL AND paid_at IS NOT NULL)", name="paid_has_payment"
        ),
        sa.Index("ix_dues_bills_org_month_status", "org_id", "month", "status"),
        # The month's collection per organisation, for the whole tree (the dashboard's periodic count):
        # read from the index alone, not from twelve months of bills.
        sa.Index("ix_dues_bills_month_org", "month", "org_id", "status", "amount_fen"),
        # Only paid bills have a payment: a partial index costs nothing when the month's bills are made.
        sa.Index(
            "ix_dues_bills_paid_by_payment_id",
            "paid_by_payment_id",
            postgresql_where=sa.text("paid_by_payment_id IS NOT NULL"),
            sqlite_where=sa.text("paid_by_payment_id IS NOT NULL"),
        ),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    #: who owes
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    #: the branch that collects it: the member's branch when the bill was made
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: the month (its first day)
    month: Mapped[date]
    #: the rule version it was made under; a later version never changes it
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("dues_rules.id", ondelete="RESTRICT"))
    #: category and base it was computed from (a later base change does not rewrite a bill)
    category: Mapped[DuesCategory] = mapped_column(enum_column(DuesCategory, "dues_category"))
    base_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: what is owed, fen
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: where it stands (BILL_TRANSITIONS)
    status: Mapped[BillStatus] = mapped_column(enum_column(BillStatus, "dues_bill_status"), default=BillStatus.UNPAID)
    #: the payment that paid it (``payment_models.DuesPayment``). Set only by
    #: ``bills.mark_bills_paid`` (a conditional UPDATE … WHERE status = 'unpaid'), so once.
    paid_by_payment_id: Mapped[int | None] = mapped_column(
        sa.BigInteger, sa.ForeignKey("dues_payments.id", ondelete="RESTRICT", use_alter=True)
    )
    #: when it was paid (UTC)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: 自愿多交党费: paid on top of ``amount_fen`` with this bill, fen
    voluntary_extra_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    #: why it was waived
    note: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    #: when made (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()
    org: Mapped[Organisation] = relationship()
    rule: Mapped[DuesRule] = relationship()


class BackpayApproval(db.Model):
    """The secretary's recorded approval for a member to pay back further than six months."""

    __tablename__ = "dues_backpay_approvals"
    __audited__ = True
    __audit_entity__ = "dues_backpay_approval"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the member
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    #: the earliest month they may now pay
    from_month: Mapped[date]
    #: why, as the secretary wrote it
    reason: Mapped[str] = mapped_column(sa.String(200))
    #: who approved
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: the member's branch, for the audit trail's scope
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="SET NULL"))
    #: when (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def audit_label(self) -> str:
        return f"member #{self.member_id} 补缴至 {self.from_month:%Y-%m}"

    def audit_org_id(self) -> int | None:
        return self.org_id
