"""The one way a payment's status changes: along ``PAYMENT_TRANSITIONS``, once, audited.

After a payment is created, :func:`move` is the only code that writes ``dues_payments.status``. It refuses
a change the table does not allow (:class:`BadTransition`), writes the change as one conditional UPDATE
(``… WHERE status = <the status read>``), so that a change another transaction made meanwhile is never
overwritten (:class:`StatusChanged`), and records it in the audit trail in the name of whoever acts: an
admin, or, for what no person did, :data:`WECHAT_PAY` (WeChat Pay's notification, or its answer when we
asked about an order) and :data:`DUES_JOBS` (the expiry and reconciliation jobs). A finance admin reads
every change to money in 操作日志.

Callers read the payment under :func:`lock_payment` first, so the status they decide from is the one
they change.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from server.audit.context import Actor
from server.audit.services import record
from server.db import core_execute, db
from server.dues.payment_models import (
    PAYMENT_STATUS_LABELS,
    PAYMENT_TRANSITIONS,
    DuesPayment,
    DuesPaymentBill,
    PaymentStatus,
    payment_label,
)
from server.errors import AppError

#: The actor of what WeChat Pay reports: a notification, or the answer to our query of an order.
WECHAT_PAY = Actor("system", None, "微信支付")
#: The actor of the dues jobs: closing expired orders, the daily reconciliation, the monthly bills.
DUES_JOBS = Actor("system", None, "系统任务")


class BadTransition(AppError):
    """A change ``PAYMENT_TRANSITIONS`` does not allow: a bug, or a stale page; nothing is written."""

    def __init__(self, old: PaymentStatus, new: PaymentStatus) -> None:
        super().__init__(
            "bad_transition",
            f"该缴费记录当前为“{PAYMENT_STATUS_LABELS[old]}”，不能改为“{PAYMENT_STATUS_LABELS[new]}”",
            status=409,
        )
        self.old, self.new = old, new


class StatusChanged(AppError):
    """The payment's status is no longer the one read: another transaction changed it first."""

    def __init__(self) -> None:
        super().__init__("payment_changed", "该缴费记录刚被修改过，请刷新后重试", status=409)


def lock_payment(*, out_trade_no: str | None = None, payment_id: int | None = None) -> DuesPayment | None:
    """The payment, read afresh and locked until the transaction ends; None if there is none.

    ``SELECT … FOR UPDATE`` on PostgreSQL. SQLite has no row locks and one writer, and pysqlite runs the
    reads before a transaction's first write outside it: a write that changes nothing takes the writer's
    lock first, so the status read below is still the status when this transaction writes.
    """
    table = DuesPayment.__table__
    where = table.c.out_trade_no == out_trade_no if out_trade_no is not None else table.c.id == payment_id
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.connection().execute(sa.update(table).where(where).values(id=table.c.id))
    statement = sa.select(DuesPayment).where(where).execution_options(populate_existing=True)
    return db.session.scalar(statement.with_for_update())


@dataclass(frozen=True)
class LockedPayment:
    """What applying WeChat's word reads of a payment, under its lock, without loading it into the
    session: the columns it checks and writes, and the bills it covers. A snapshot: after :func:`move`
    it still shows the status read."""

    id: int
    out_trade_no: str
    member_id: int
    org_id: int
    status: PaymentStatus
    amount_fen: int
    extra_fen: int
    transaction_id: str | None
    paid_at: datetime | None
    bill_ids: tuple[int, ...]

    @classmethod
    def of(cls, payment: DuesPayment) -> LockedPayment:
        """The snapshot of a payment the caller loaded (and locked) itself."""
        values = {key: getattr(payment, key) for key in _LOCKED_COLUMNS}
        return cls(**values, bill_ids=tuple(line.bill_id for line in payment.lines))

    def audit_label(self) -> str:
        return payment_label(self.out_trade_no, self.amount_fen)


_payments = DuesPayment.__table__
_lines = DuesPaymentBill.__table__
#: the payment's columns read under the lock, in LockedPayment's order
_LOCKED_COLUMNS = tuple(field.name for field in fields(LockedPayment) if field.name != "bill_ids")
# Built once: a statement object keeps its cache key, so SQLAlchemy neither rebuilds nor re-walks it.
# One row per line (a payment always has one); only the payment's row is locked (FOR UPDATE OF): its
# lines are never changed without that lock.
_LOCK_WITH_LINES = (
    sa.select(*(_payments.c[key] for key in _LOCKED_COLUMNS), _lines.c.bill_id)
    .select_from(_payments.outerjoin(_lines, _lines.c.payment_id == _payments.c.id))
    .where(_payments.c.out_trade_no == sa.bindparam("trade_no"))
    .with_for_update(of=_payments)
)
_SQLITE_WRITER_LOCK = (
    sa.update(_payments).where(_payments.c.out_trade_no == sa.bindparam("trade_no")).values(id=_payments.c.id)
)


def lock_payment_with_lines(out_trade_no: str) -> LockedPayment | None:
    """The payment of ``out_trade_no`` and the bills it covers, in one statement, locked as
    :func:`lock_payment` locks it; None if there is none. For applying a notification: Core rows, no
    ORM object to build, track or flush."""
    connection = db.session.connection()
    params = {"trade_no": out_trade_no}
    if connection.dialect.name != "postgresql":
        connection.execute(_SQLITE_WRITER_LOCK, params)
    rows = connection.execute(_LOCK_WITH_LINES, params).all()
    if not rows:
        return None
    first = rows[0]
    bill_ids = tuple(sorted(row.bill_id for row in rows if row.bill_id is not None))
    return LockedPayment(*first[: len(_LOCKED_COLUMNS)], bill_ids=bill_ids)


def move(payment: DuesPayment | LockedPayment, new: PaymentStatus, *, reason: str, **values: Any) -> None:
    """Change ``payment`` (read under :func:`lock_payment` or :func:`lock_payment_with_lines`) to ``new``,
    with the other columns in ``values`` (``paid_at``, ``transaction_id``, ``refunded_fen``), and audit it
    with ``reason``.

    Raises :class:`BadTransition` for a change the table does not allow and :class:`StatusChanged` when
    the row no longer has the status read; either way nothing is written.
    """
    old = payment.status
    if new not in PAYMENT_TRANSITIONS[old]:
        raise BadTransition(old, new)
    before = {"payment_status": PAYMENT_STATUS_LABELS[old]} | {key: getattr(payment, key) for key in values}
    loaded = isinstance(payment, DuesPayment)
    if loaded:
        db.session.flush()  # the payment's other pending changes first, through the unit of work and its audit
    # The columns written come back as stored (RETURNING), so a loaded payment shows them without
    # reading its row again.
    params = {"payment_id": payment.id, "old_status": old, "new_status": new}
    params |= {f"new_{key}": value for key, value in values.items()}
    stored = core_execute(_move_statement(tuple(values)), params).one_or_none()
    if stored is None:
        if loaded:
            db.session.refresh(payment)
        raise StatusChanged()
    stored = stored._mapping
    if loaded:
        for key, value in stored.items():
            set_committed_value(payment, key, value)
    after = {"payment_status": PAYMENT_STATUS_LABELS[new]} | {key: stored[key] for key in values}
    record(
        "dues_payment.status",
        "dues_payment",
        entity_id=payment.id,
        label=payment.audit_label(),
        org_id=payment.org_id,
        before=before,
        detail=after | {"reason": reason},
    )


_MOVES: dict[tuple[str, ...], sa.Update] = {}


def _move_statement(keys: tuple[str, ...]) -> sa.Update:
    """``UPDATE dues_payments SET status, <keys> … WHERE id AND status = <old> RETURNING them``, built
    once per set of columns written (a handful in all) and reused, as the lock statement is."""
    statement = _MOVES.get(keys)
    if statement is None:
        status_type = _payments.c.status.type
        statement = (
            sa.update(_payments)
            .where(
                _payments.c.id == sa.bindparam("payment_id"),
                _payments.c.status == sa.bindparam("old_status", type_=status_type),
            )
            .values(
                status=sa.bindparam("new_status", type_=status_type),
                **{key: sa.bindparam(f"new_{key}", type_=_payments.c[key].type) for key in keys},
            )
            .returning(*(_payments.c[key] for key in ("status", *keys)))
        )
        _MOVES[keys] = statement
    return statement
