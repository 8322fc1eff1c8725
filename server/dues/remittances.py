"""上缴: a branch or general branch records dues handed up to its parent; corrected only by reversal."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.db import db
from server.dues.ledger_models import DuesRemittance
from server.dues.months import current_month
from server.errors import AppError
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
