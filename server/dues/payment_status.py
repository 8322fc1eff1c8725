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

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from server.audit.context import Actor
from server.audit.services import record
from server.db import db
from server.dues.payment_models import PAYMENT_STATUS_LABELS, PAYMENT_TRANSITIONS, DuesPayment, PaymentStatus
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


def lock_payment(
    *, out_trade_no: str | None = None, payment_id: int | None = None, with_lines: bool = False
) -> DuesPayment | None:
    """The payment, read afresh and locked until the transaction ends; None if there is none.
    ``with_lines``: its lines (the bills it covers) come in the same statement, for a caller about to
    read them (applying a notification), instead of a second query.

    ``SELECT … FOR UPDATE`` on PostgreSQL. SQLite has no row locks and one writer, and pysqlite runs the
    reads before a transaction's first write outside it: a write that changes nothing takes the writer's
    lock first, so the status read below is still the status when this transaction writes.
    """
    table = DuesPayment.__table__
    where = table.c.out_trade_no == out_trade_no if out_trade_no is not None else table.c.id == payment_id
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.connection().execute(sa.update(table).where(where).values(id=table.c.id))
    statement = sa.select(DuesPayment).where(where).execution_options(populate_existing=True)
    if not with_lines:
        return db.session.scalar(statement.with_for_update())
    # Only the payment's row is locked (FOR UPDATE OF): its lines are never changed without that lock.
    statement = statement.options(joinedload(DuesPayment.lines)).with_for_update(of=table)
    return db.session.scalars(statement).unique().one_or_none()


def move(payment: DuesPayment, new: PaymentStatus, *, reason: str, **values: Any) -> None:
    """Change ``payment`` (read under :func:`lock_payment`) to ``new``, with the other columns in
    ``values`` (``paid_at``, ``transaction_id``, ``refunded_fen``), and audit it with ``reason``.

    Raises :class:`BadTransition` for a change the table does not allow and :class:`StatusChanged` when
    the row no longer has the status read; either way nothing is written.
    """
    old = payment.status
    if new not in PAYMENT_TRANSITIONS[old]:
        raise BadTransition(old, new)
    before = {"payment_status": PAYMENT_STATUS_LABELS[old]} | {key: getattr(payment, key) for key in values}
    db.session.flush()  # the payment's other pending changes first, through the unit of work and its audit
    table = DuesPayment.__table__
    # The columns written come back as stored (RETURNING), so the loaded payment shows them without
    # reading its row again.
    stored = db.session.execute(
        sa.update(table)
        .where(table.c.id == payment.id, table.c.status == old)
        .values(status=new, **values)
        .returning(*(table.c[key] for key in ("status", *values)))
    ).one_or_none()
    if stored is None:
        db.session.refresh(payment)
        raise StatusChanged()
    for key, value in stored._mapping.items():
        set_committed_value(payment, key, value)
    after = {"payment_status": PAYMENT_STATUS_LABELS[new]} | {key: getattr(payment, key) for key in values}
    record(
        "dues_payment.status",
        "dues_payment",
        entity_id=payment.id,
        label=payment.audit_label(),
        org_id=payment.org_id,
        before=before,
        detail=after | {"reason": reason},
    )
