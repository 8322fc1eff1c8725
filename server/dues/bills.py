"""Monthly bills: made once per member and month, paid exactly once.

Who owes a month: every member whose branch accepted them (``join_date``, the day a probationary member
was accepted) in or before that month; a member without a join date is an old member and owes.

Making bills is one ``INSERT … SELECT … ON CONFLICT (member_id, month) DO NOTHING``: the amount is
computed in SQL from the rule in force that month (the same integer formula as ``rules.dues_for``, a
test holds them equal), so the job may run twice, or on two workers at once, and nothing is made twice.

Paying is one ``UPDATE … WHERE status = 'unpaid'``: of two payments racing for a bill, one wins.

Services for the payment side (signatures in their docstrings): :func:`payable_bills`,
:func:`mark_bills_paid`, :func:`reopen_bills`, :func:`unpaid_months`, :func:`paid_up_to`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.db import core_execute, db, utcnow
from server.dues.models import (
    BILL_TRANSITIONS,
    BRACKET_CATEGORIES,
    BackpayApproval,
    BillStatus,
    DuesBase,
    DuesBill,
    DuesBranchSettings,
)
from server.dues.months import add_months, current_month
from server.dues.rules import BP, RuleTable, rule_for_month, rule_table
from server.errors import AppError
from server.members.models import DuesCategory, Member, MemberTransfer

#: Back-payment reaches this many months before the current one, unless the secretary approved more.
BACKPAY_MONTHS = 6
NOT_PAYABLE = "month_not_payable"


class BillsNotPayable(AppError):
    """Some of the bills were paid (or waived) meanwhile; the caller's transaction must be rolled back."""

    def __init__(self, bill_ids: Sequence[int]) -> None:
        super().__init__("bills_not_payable", "所选月份的党费已缴纳或已免缴，请刷新后重试")
        self.bill_ids = list(bill_ids)


# --- making bills --------------------------------------------------------------------------------------


def _amount_sql(table: RuleTable, category: sa.ColumnElement, base: sa.ColumnElement, farmer: sa.ColumnElement):
    """``rules.dues_for`` as one SQL expression (round half up: ``(base × rate + 5000) / 10000``)."""

    def bracketed(cat: DuesCategory) -> sa.ColumnElement:
        whens = [(base <= upper, (base * rate + BP // 2) // BP) for upper, rate in table.brackets[cat] if upper]
        top = next(rate for upper, rate in table.brackets[cat] if upper is None)
        return sa.case(*whens, else_=(base * top + BP // 2) // BP) if whens else (base * top + BP // 2) // BP

    farmer_fen = sa.func.coalesce(farmer, table.farmer_min_fen)
    clamped = sa.case(
        (farmer_fen < table.farmer_min_fen, table.farmer_min_fen),
        (farmer_fen > table.farmer_max_fen, table.farmer_max_fen),
        else_=farmer_fen,
    )
    return sa.case(
        *[(category == cat.value, bracketed(cat)) for cat in BRACKET_CATEGORIES],
        (category == DuesCategory.FARMER.value, clamped),
        else_=table.fixed_low_fen,
    )


def _insert(dialect: str, table: sa.Table):
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def generate_bills(month: date, *, member_ids: Iterable[int] | None = None) -> int:
    """Make ``month``'s bill for every member who owes it (or only ``member_ids``); return how many
    were made now. Bills already there are left as they are, with their rule and amount."""
    rule = rule_for_month(month)
    table = rule_table(rule)
    members = Member.__table__
    next_month = add_months(month, 1)
    history_base = (
        sa.select(DuesBase.base_fen)
        .where(DuesBase.member_id == members.c.id, DuesBase.effective_month <= month)
        .order_by(DuesBase.effective_month.desc())
        .limit(1)
        .scalar_subquery()
    )
    source = sa.select(
        members.c.id.label("member_id"),
        members.c.org_id,
        members.c.dues_category.label("category"),
        sa.func.coalesce(history_base, members.c.dues_base_fen).label("base_fen"),
    ).where(sa.or_(members.c.join_date.is_(None), members.c.join_date < next_month))
    if member_ids is not None:
        source = source.where(members.c.id.in_(list(member_ids)))
    # OFFSET 0 keeps PostgreSQL from folding this subquery into the outer SELECT, which would copy the
    # base's correlated lookup into every branch of the amount's CASE (eleven index probes a member
    # instead of one: 10 s instead of 3 for 140,000 members).
    src = source.offset(0).subquery("src")
    settings = DuesBranchSettings.__table__
    now = utcnow()
    select = (
        sa.select(
            src.c.member_id,
            src.c.org_id,
            sa.literal(month, sa.Date).label("month"),
            sa.literal(rule.id).label("rule_id"),
            src.c.category,
            src.c.base_fen,
            _amount_sql(table, src.c.category, src.c.base_fen, settings.c.farmer_fen).label("amount_fen"),
            sa.literal(BillStatus.UNPAID.value).label("status"),
            sa.literal(0).label("voluntary_extra_fen"),
            sa.literal("").label("note"),
            sa.literal(now, DuesBill.__table__.c.created_at.type).label("created_at"),
        )
        .select_from(src.outerjoin(settings, settings.c.org_id == src.c.org_id))
        .where(sa.true())  # SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT
    )
    columns = ["member_id", "org_id", "month", "rule_id", "category", "base_fen", "amount_fen", "status"]
    columns += ["voluntary_extra_fen", "note", "created_at"]
    bills = DuesBill.__table__
    statement = (
        _insert(db.session.get_bind().dialect.name, bills)
        .from_select(columns, select)
        .on_conflict_do_nothing(index_elements=["member_id", "month"])
        .returning(bills.c.id)  # counted here: a driver may not report INSERT … SELECT's row count
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # JIT compiling this one big statement costs about a second and saves nothing.
        db.session.execute(sa.text("SET LOCAL jit = off"))
    return len(db.session.execute(statement).all())


# --- paying -------------------------------------------------------------------------------------------


def _settings(org_id: int) -> DuesBranchSettings:
    return db.session.get(DuesBranchSettings, org_id) or DuesBranchSettings(
        org_id=org_id, farmer_fen=20, allow_pay_ahead=False, ahead_months=0
    )


def earliest_payable_month(member: Member, today: date | None = None) -> date:
    """The oldest month the member may pay now: six months back, or further with an approval."""
    today = today or current_month()
    limit = add_months(today, -BACKPAY_MONTHS)
    approved = db.session.scalar(
        sa.select(sa.func.min(BackpayApproval.from_month)).where(BackpayApproval.member_id == member.id)
    )
    return min(limit, approved) if approved else limit


def latest_payable_month(member: Member, today: date | None = None) -> date:
    """This month, or as far ahead as the member's branch allows paying."""
    today = today or current_month()
    settings = _settings(member.org_id)
    return add_months(today, settings.ahead_months) if settings.allow_pay_ahead else today


def payable_bills(member: Member, months: Iterable[date] | None = None, *, today: date | None = None) -> list[DuesBill]:
    """Unpaid bills ``member`` may pay now, oldest first: from :func:`earliest_payable_month` to
    :func:`latest_payable_month`. Bills of this month and of allowed future months are made on demand.
    With ``months``, exactly those (AppError ``month_not_payable`` if one of them may not be paid now)."""
    today = today or current_month()
    first, last = earliest_payable_month(member, today), latest_payable_month(member, today)
    wanted = sorted(set(months)) if months is not None else None
    month = today
    while month <= last:  # this month's bill may not be made yet (the job runs after midnight)
        generate_bills(month, member_ids=[member.id])
        month = add_months(month, 1)
    query = sa.select(DuesBill).where(
        DuesBill.member_id == member.id,
        DuesBill.status == BillStatus.UNPAID,
        DuesBill.month >= first,
        DuesBill.month <= last,
    )
    if wanted is not None:
        query = query.where(DuesBill.month.in_(wanted))
    bills = list(db.session.scalars(query.order_by(DuesBill.month)))
    if wanted is not None and [bill.month for bill in bills] != wanted:
        raise AppError(NOT_PAYABLE, "所选月份中有不能缴纳的月份（已缴纳、超出补缴期限或不允许预缴），请刷新后重选")
    return bills


def mark_bills_paid(
    bill_ids: Sequence[int],
    payment_id: int,
    *,
    member_id: int | None = None,
    voluntary_extra_fen: int = 0,
    paid_at: datetime | None = None,
) -> list[int]:
    """Mark the bills paid by ``payment_id``, all of them or none; return their ids.

    One conditional UPDATE (``WHERE status = 'unpaid'``), so a bill is paid exactly once however many
    deliveries race; if any bill is no longer unpaid (or not ``member_id``'s), the bills it did mark are
    put back as they were (unpaid, no payment: the table's CHECK allows nothing else) and
    :class:`BillsNotPayable` is raised, so the caller needs no savepoint. Calling it again for the same
    payment after it succeeded raises too: check the payment's own state first. ``voluntary_extra_fen``
    (自愿多交) is recorded on the latest month of the set.
    """
    ids = sorted(set(bill_ids))
    if not ids:
        return []
    if voluntary_extra_fen < 0:
        raise AppError("bad_amount", "自愿多交金额不能为负数")
    params = {"ids": ids, "payment_id": payment_id, "of_member": member_id, "when": paid_at or utcnow()}
    rows = core_execute(_PAY if member_id is None else _PAY_MEMBERS, params).all()
    if len(rows) != len(ids):
        if rows:
            core_execute(_UNDO_PAY, {"ids": [row.id for row in rows], "payment_id": payment_id})
        raise BillsNotPayable(sorted(set(ids) - {row.id for row in rows}))
    if voluntary_extra_fen:
        latest = max(rows, key=lambda row: row.month).id
        core_execute(_SET_EXTRA, {"bill_id": latest, "extra": voluntary_extra_fen})
    _expire_bills({row.id for row in rows})  # loaded bills must not show their old status
    return sorted(row.id for row in rows)


# Built once (a statement object keeps its cache key): paying is on the path of every notification.
_bills = DuesBill.__table__
_PAY = (
    sa.update(_bills)
    .where(_bills.c.id.in_(sa.bindparam("ids", expanding=True)), _bills.c.status == BillStatus.UNPAID.value)
    .values(
        status=BillStatus.PAID.value,
        paid_by_payment_id=sa.bindparam("payment_id", type_=_bills.c.paid_by_payment_id.type),
        paid_at=sa.bindparam("when", type_=_bills.c.paid_at.type),
    )
    .returning(_bills.c.id, _bills.c.month)
)
_PAY_MEMBERS = _PAY.where(_bills.c.member_id == sa.bindparam("of_member"))
_UNDO_PAY = (
    sa.update(_bills)
    .where(
        _bills.c.id.in_(sa.bindparam("ids", expanding=True)), _bills.c.paid_by_payment_id == sa.bindparam("payment_id")
    )
    .values(status=BillStatus.UNPAID.value, paid_by_payment_id=None, paid_at=None)
)
_SET_EXTRA = (
    sa.update(_bills)
    .where(_bills.c.id == sa.bindparam("bill_id"))
    .values(voluntary_extra_fen=sa.bindparam("extra", type_=_bills.c.voluntary_extra_fen.type))
)


def _expire_bills(ids: set[int]) -> None:
    """Bills of ``ids`` already loaded in the session are read again on next use (not the whole session)."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, DuesBill) and obj.id in ids:
            db.session.expire(obj)


def reopen_bills(bill_ids: Sequence[int], payment_id: int) -> list[int]:
    """A refund: bills paid by ``payment_id`` become unpaid again; returns the ids reopened (once)."""
    bills = DuesBill.__table__
    statement = (
        sa.update(bills)
        .where(
            bills.c.id.in_(list(bill_ids)),
            bills.c.status == BillStatus.PAID.value,
            bills.c.paid_by_payment_id == payment_id,
        )
        .values(status=BillStatus.UNPAID.value, paid_by_payment_id=None, paid_at=None, voluntary_extra_fen=0)
        .returning(bills.c.id)
    )
    ids = sorted(db.session.scalars(statement))
    _expire_bills(set(ids))
    return ids


def change_status(bill: DuesBill, new: BillStatus, note: str = "") -> DuesBill:
    """A status change by hand (waive, undo a waiver), checked against BILL_TRANSITIONS; paying goes
    through :func:`mark_bills_paid` only."""
    if new is BillStatus.PAID or new not in BILL_TRANSITIONS[bill.status]:
        raise AppError("bad_transition", "该账单当前状态不能这样修改")
    if bill.status is BillStatus.PAID:
        raise AppError("bad_transition", "已缴的账单只能通过退款改为未缴")
    updated = db.session.execute(
        sa.update(DuesBill)
        .where(DuesBill.id == bill.id, DuesBill.status == bill.status)
        .values(status=new, note=note)
        .execution_options(synchronize_session=False)
    ).rowcount
    if updated != 1:
        raise AppError("bad_transition", "该账单刚被修改过，请刷新后重试")
    db.session.refresh(bill)
    return bill


def approve_backpay(member: Member, from_month: date, reason: str, approved_by_id: int | None) -> BackpayApproval:
    """The secretary allows ``member`` to pay back to ``from_month`` (beyond six months)."""
    if not reason.strip():
        raise AppError("reason_required", "请填写批准补缴的理由")
    approval = BackpayApproval(
        member_id=member.id,
        from_month=from_month,
        reason=reason.strip(),
        approved_by_id=approved_by_id,
        org_id=member.org_id,
    )
    db.session.add(approval)
    db.session.flush()
    return approval


# --- where a member stands ------------------------------------------------------------------------------


def unpaid_months(member: Member, *, today: date | None = None) -> list[date]:
    """Months up to this one with an unpaid bill, oldest first (arrears, whatever may still be paid)."""
    today = today or current_month()
    return list(
        db.session.scalars(
            sa.select(DuesBill.month)
            .where(DuesBill.member_id == member.id, DuesBill.status == BillStatus.UNPAID, DuesBill.month <= today)
            .order_by(DuesBill.month)
        )
    )


def paid_up_to(member: Member | int) -> date | None:
    """The last month up to which every bill is paid or waived (缴至): the month before the oldest
    unpaid bill, or the latest settled month if nothing is unpaid; None if nothing was ever settled."""
    member_id = member if isinstance(member, int) else member.id
    oldest_unpaid = db.session.scalar(
        sa.select(sa.func.min(DuesBill.month)).where(
            DuesBill.member_id == member_id, DuesBill.status == BillStatus.UNPAID
        )
    )
    query = sa.select(sa.func.max(DuesBill.month)).where(
        DuesBill.member_id == member_id, DuesBill.status != BillStatus.UNPAID
    )
    if oldest_unpaid is not None:
        query = query.where(DuesBill.month < oldest_unpaid)
    return db.session.scalar(query)


@event.listens_for(Session, "before_flush")
def _transfers_state_the_paid_up_month(session: Session, _context, _instances) -> None:
    """A transfer letter states the month to which dues are paid: recorded when the member moves."""
    for obj in session.new:
        if isinstance(obj, MemberTransfer) and obj.dues_paid_to_month is None and obj.member_id:
            with session.no_autoflush:
                obj.dues_paid_to_month = paid_up_to(obj.member_id)
