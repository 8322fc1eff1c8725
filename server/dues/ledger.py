"""党费台账: per organisation and period, what was expected, collected, paid, owed, received and remitted.

Definitions (all in fen, months are first-of-month dates, see models.py):

- expected: the period's bills, less waived ones (a waived month is owed by nobody);
- paid: of those, the bills paid (whenever paid) — the collection *rate* is paid / expected;
- collected: money that came in during the period: paid bills' ``amount_fen + voluntary_extra_fen``
  counted in the local month of their ``paid_at`` (whatever month the bill is for), split by channel
  through :func:`collected_by_channel`;
- arrears: the period's unpaid bills for months that have ended;
- received (one level, not its subtree): collected from the level's own members plus what its children
  remitted to it; remitted: what it handed up to its parent; balance = received − remitted.
  Remittances count in the ``last_month`` of their range.

Roll-up over a subtree: each figure is one grouped query over the subtree (grouped by the bill's
organisation), then each organisation's sums are added to the child of the viewed node whose path it
lies under, in Python over at most one row per organisation. No query per branch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

import sqlalchemy as sa

from server.auth.scope import scope_filter
from server.db import db
from server.dues.ledger_models import DuesRemittance
from server.dues.models import BillStatus, DuesBill
from server.dues.months import add_months, current_month, months_between
from server.dues.payment_models import CHANNEL_LABELS, DuesPayment
from server.errors import AppError
from server.orgs.models import Organisation, OrgKind
from server.orgs.services import tree_order
from server.timezone import display_zone

#: a paid bill with no payment behind it, whose channel nobody recorded
UNKNOWN_CHANNEL = "未区分"
MAX_MONTHS = 36


def utc_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[start of ``first``, start of the month after ``last``) in local time, as aware datetimes."""
    zone = display_zone()
    return datetime.combine(first, time(), tzinfo=zone), datetime.combine(add_months(last, 1), time(), tzinfo=zone)


def _paid_in(first: date, last: date) -> sa.ColumnElement[bool]:
    start, end = utc_bounds(first, last)
    return sa.and_(DuesBill.status == BillStatus.PAID, DuesBill.paid_at >= start, DuesBill.paid_at < end)


_COLLECTED = DuesBill.amount_fen + DuesBill.voluntary_extra_fen


def collected_by_channel(path: str, first: date, last: date) -> dict[str, int]:
    """Money collected under ``path`` from ``first`` to ``last`` (local months of ``paid_at``), by channel.

    The same filter and sum as the ledger's "collected" (``amount_fen + voluntary_extra_fen`` of each paid
    bill), grouped by the channel of the payment that paid it, so the channels add up to "collected".
    A paid bill without a payment (none today; older data could have one) counts as ``UNKNOWN_CHANNEL``.
    Returns channel label → fen, channels with nothing left out.
    """
    rows = db.session.execute(
        sa.select(DuesPayment.channel, sa.func.coalesce(sa.func.sum(_COLLECTED), 0))
        .select_from(DuesBill)
        .outerjoin(DuesPayment, DuesPayment.id == DuesBill.paid_by_payment_id)
        .where(scope_filter(DuesBill.org_id, path), _paid_in(first, last))
        .group_by(DuesPayment.channel)
    ).all()
    return {CHANNEL_LABELS[channel] if channel else UNKNOWN_CHANNEL: int(total) for channel, total in rows if total}


@dataclass
class LedgerRow:
    org_id: int
    name: str
    kind: OrgKind | None
    expected_fen: int = 0
    paid_fen: int = 0
    collected_fen: int = 0
    arrears_fen: int = 0
    # this level's own books (not its subtree's)
    received_fen: int = 0
    remitted_fen: int = 0

    @property
    def rate(self) -> float | None:
        """Share of the expected amount paid, 0–1; None when nothing was expected."""
        return self.paid_fen / self.expected_fen if self.expected_fen else None

    @property
    def balance_fen(self) -> int:
        return self.received_fen - self.remitted_fen

    def add(self, other: LedgerRow) -> None:
        self.expected_fen += other.expected_fen
        self.paid_fen += other.paid_fen
        self.collected_fen += other.collected_fen
        self.arrears_fen += other.arrears_fen


@dataclass
class Ledger:
    org: Organisation
    first: date
    last: date
    own: LedgerRow  # the viewed organisation's own level (its books, its direct members' bills)
    children: list[LedgerRow]
    total: LedgerRow  # the whole subtree (the sum of ``own`` and ``children`` for bills)
    channels: dict[str, int]
    months: list[dict] = field(default_factory=list)


def check_period(first: date, last: date) -> None:
    if last < first:
        raise AppError("bad_period", "结束月份不能早于开始月份")
    if len(months_between(first, last)) > MAX_MONTHS:
        raise AppError("bad_period", f"一次最多统计 {MAX_MONTHS} 个月")


def _child_of(node: Organisation, path: str) -> int | None:
    """The id of the node's child whose subtree holds ``path``; None for the node itself."""
    segments = path.strip("/").split("/")
    return int(segments[node.depth + 1]) if len(segments) > node.depth + 1 else None


def _bill_sums(node: Organisation, first: date, last: date, today: date) -> Iterable[sa.Row]:
    """Per organisation of the subtree: path, expected, paid, arrears of the period's bills."""
    status = DuesBill.status
    expected = sa.func.sum(sa.case((status != BillStatus.WAIVED, DuesBill.amount_fen), else_=0))
    paid = sa.func.sum(sa.case((status == BillStatus.PAID, DuesBill.amount_fen), else_=0))
    owed = sa.case((sa.and_(status == BillStatus.UNPAID, DuesBill.month < today), DuesBill.amount_fen), else_=0)
    sums = (
        sa.select(
            DuesBill.org_id,
            expected.label("expected"),
            paid.label("paid"),
            sa.func.sum(owed).label("arrears"),
        )
        .where(scope_filter(DuesBill.org_id, node.path), DuesBill.month >= first, DuesBill.month <= last)
        .group_by(DuesBill.org_id)
        .subquery()
    )
    return db.session.execute(sa.select(sums, Organisation.path).join(Organisation, Organisation.id == sums.c.org_id))


def _collected_sums(node: Organisation, first: date, last: date) -> Iterable[sa.Row]:
    sums = (
        sa.select(DuesBill.org_id, sa.func.sum(_COLLECTED).label("collected"))
        .where(scope_filter(DuesBill.org_id, node.path), _paid_in(first, last))
        .group_by(DuesBill.org_id)
        .subquery()
    )
    return db.session.execute(sa.select(sums, Organisation.path).join(Organisation, Organisation.id == sums.c.org_id))


def _remittance_sums(org_ids: list[int], first: date, last: date, column) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(column, sa.func.sum(DuesRemittance.amount_fen))
        .where(column.in_(org_ids), DuesRemittance.last_month >= first, DuesRemittance.last_month <= last)
        .group_by(column)
    )
    return {org_id: int(total) for org_id, total in rows}


def _monthly(node: Organisation, first: date, last: date) -> list[dict]:
    """The chart's series: expected and paid per bill month, collected per local month of payment."""
    status = DuesBill.status
    by_month = db.session.execute(
        sa.select(
            DuesBill.month,
            sa.func.sum(sa.case((status != BillStatus.WAIVED, DuesBill.amount_fen), else_=0)),
            sa.func.sum(sa.case((status == BillStatus.PAID, DuesBill.amount_fen), else_=0)),
        )
        .where(scope_filter(DuesBill.org_id, node.path), DuesBill.month >= first, DuesBill.month <= last)
        .group_by(DuesBill.month)
    ).all()
    months = months_between(first, last)
    # one query for the collected series too: each payment time falls in the bucket of the first month
    # boundary it is earlier than
    bounds = [utc_bounds(month, month)[1] for month in months]
    bucket = sa.case(*[(DuesBill.paid_at < bound, index) for index, bound in enumerate(bounds)], else_=-1)
    collected = dict(
        db.session.execute(
            sa.select(bucket, sa.func.sum(_COLLECTED))
            .where(scope_filter(DuesBill.org_id, node.path), _paid_in(first, last))
            .group_by(bucket)
        ).all()
    )
    bills = {month: (int(expected), int(paid)) for month, expected, paid in by_month}
    return [
        {
            "month": f"{month:%Y-%m}",
            "expected": bills.get(month, (0, 0))[0],
            "paid": bills.get(month, (0, 0))[1],
            "collected": int(collected.get(index) or 0),
        }
        for index, month in enumerate(months)
    ]


def books_of(org: Organisation) -> LedgerRow:
    """``org``'s own books over all time, as they stand now: received (its own members' paid dues plus
    what its children remitted to it) and remitted (net of reversals); ``balance_fen`` is what it holds."""
    own = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(_COLLECTED), 0)).where(
            DuesBill.org_id == org.id, DuesBill.status == BillStatus.PAID
        )
    )

    def remittances(column) -> int:
        total = sa.func.coalesce(sa.func.sum(DuesRemittance.amount_fen), 0)
        return int(db.session.scalar(sa.select(total).where(column == org.id)))

    row = LedgerRow(org.id, org.name, org.kind)
    row.received_fen = int(own) + remittances(DuesRemittance.to_org_id)
    row.remitted_fen = remittances(DuesRemittance.from_org_id)
    return row


def ledger(node: Organisation, first: date, last: date, *, today: date | None = None) -> Ledger:
    """The ledger of ``node`` and each of its children (their whole subtrees) for ``first``–``last``."""
    check_period(first, last)
    today = today or current_month()
    children = db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.parent_id == node.id, Organisation.kind != OrgKind.GROUP)
        .order_by(Organisation.dissolved_at.is_not(None), tree_order())
    ).all()
    rows = {child.id: LedgerRow(child.id, child.name, child.kind) for child in children}
    own = LedgerRow(node.id, node.name, node.kind)

    def target(path: str) -> LedgerRow:
        child_id = _child_of(node, path)
        if child_id is None:
            return own
        if child_id not in rows:  # a group's bills, or a child added since: still counted
            child = db.session.get(Organisation, child_id)
            rows[child_id] = LedgerRow(child_id, child.name if child else f"#{child_id}", child.kind if child else None)
        return rows[child_id]

    for row in _bill_sums(node, first, last, today):
        line = target(row.path)
        line.expected_fen += int(row.expected or 0)
        line.paid_fen += int(row.paid or 0)
        line.arrears_fen += int(row.arrears or 0)
    own_collected = 0
    for row in _collected_sums(node, first, last):
        target(row.path).collected_fen += int(row.collected or 0)
        if row.org_id == node.id:
            own_collected += int(row.collected or 0)
    # each level's own books: its own members' money plus what its children remitted to it
    level_ids = [node.id, *rows]
    received = _remittance_sums(level_ids, first, last, DuesRemittance.to_org_id)
    remitted = _remittance_sums(level_ids, first, last, DuesRemittance.from_org_id)
    direct = dict(
        db.session.execute(
            sa.select(DuesBill.org_id, sa.func.sum(_COLLECTED))
            .where(DuesBill.org_id.in_(list(rows)), _paid_in(first, last))
            .group_by(DuesBill.org_id)
        ).all()
    )
    own.received_fen = own_collected + received.get(node.id, 0)
    own.remitted_fen = remitted.get(node.id, 0)
    for org_id, line in rows.items():
        line.received_fen = int(direct.get(org_id) or 0) + received.get(org_id, 0)
        line.remitted_fen = remitted.get(org_id, 0)
    total = LedgerRow(node.id, node.name, node.kind)
    for line in (own, *rows.values()):
        total.add(line)
    return Ledger(
        org=node,
        first=first,
        last=last,
        own=own,
        children=list(rows.values()),
        total=total,
        channels=collected_by_channel(node.path, first, last),
        months=_monthly(node, first, last),
    )
