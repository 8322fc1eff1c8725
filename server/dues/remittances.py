"""上缴: a branch or general branch records dues handed up to its parent; corrected only by reversal.

A level cannot remit more than it holds: its balance over all time (``ledger.books_of``: its own members'
dues plus what its children remitted to it, less what it remitted). The check runs under a lock of the
remitting organisation's row, so two admins remitting at once cannot both spend the same balance.
A reversal is always accepted: it corrects a mistake, and the parent's books show what it leaves.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.db import db
from server.dues.ledger import books_of
from server.dues.ledger_models import DuesRemittance
from server.dues.months import current_month
from server.errors import AppError
from server.money import money_text
from server.orgs.models import Organisation, OrgKind

#: who may remit to their parent
REMITTERS = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.COMMITTEE)


def record_remittance(
    org: Organisation, first: date, last: date, amount_fen: int, note: str, admin_id: int | None
) -> DuesRemittance:
    """Record that ``org`` handed ``amount_fen`` up to its parent for ``first``–``last`` (audited on flush)."""
    if org.kind not in REMITTERS or org.parent_id is None:
        raise AppError("no_parent", "该组织没有上级组织，无需上缴")
    if last < first:
        raise AppError("bad_period", "结束月份不能早于开始月份")
    if last > current_month():
        raise AppError("bad_period", "不能为将来的月份登记上缴")
    if amount_fen <= 0:
        raise AppError("bad_amount", "上缴金额应大于 0")
    _lock_level(org.id)
    books = books_of(org)
    if amount_fen > books.balance_fen:
        raise AppError(
            "remittance_exceeds_balance",
            f"上缴金额 {money_text(amount_fen)} 超过{org.name}的结余 {money_text(books.balance_fen)}"
            f"（累计收入 {money_text(books.received_fen)}，已上缴 {money_text(books.remitted_fen)}），未登记。"
            "请核对金额，或等下级上缴、党员缴费入账后再登记",
        )
    entry = DuesRemittance(
        from_org_id=org.id,
        to_org_id=org.parent_id,
        first_month=first,
        last_month=last,
        amount_fen=amount_fen,
        note=note,
        created_by_id=admin_id,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _lock_level(org_id: int) -> None:
    """Serialise remittances of one organisation until the transaction ends: a row lock on PostgreSQL
    (NO KEY UPDATE: new rows may still point at the organisation meanwhile); on SQLite, which has one
    writer and runs reads before a transaction's first write outside it, a write that changes nothing."""
    table = Organisation.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(table.c.id).where(table.c.id == org_id).with_for_update(key_share=True))
    else:
        db.session.connection().execute(sa.update(table).where(table.c.id == org_id).values(id=table.c.id))


def reverse(entry: DuesRemittance, note: str, admin_id: int | None) -> DuesRemittance:
    """A reversing entry for ``entry``: the same months, the amount negated. At most once per entry, even
    when two admins press at once (the unique ``reverses_id`` decides; the loser gets the refusal)."""
    if entry.reverses_id is not None:
        raise AppError("not_reversible", "冲正记录不能再冲正")
    if not note:
        raise AppError("reason_required", "请填写冲正原因")
    reversal = DuesRemittance(
        from_org_id=entry.from_org_id,
        to_org_id=entry.to_org_id,
        first_month=entry.first_month,
        last_month=entry.last_month,
        amount_fen=-entry.amount_fen,
        reverses_id=entry.id,
        note=note,
        created_by_id=admin_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(reversal)
    except IntegrityError as exc:
        raise AppError("already_reversed", "这条记录已经冲正过了") from exc
    return reversal


def reversed_ids(ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(DuesRemittance.reverses_id).where(DuesRemittance.reverses_id.in_(ids))))
