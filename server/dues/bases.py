"""Members' dues bases over time, and how the member register's ``dues_base_fen`` follows them.

The history (``dues_bases``) is what bills read. ``members.dues_base_fen`` stays the register's copy of
the base in force now: setting a base here that applies from this month or earlier updates it, and an
edit of the base in the register (form or member detail) writes a history row from this month (the
listener below), so both pages always agree. Members the register's bulk import created have no row
until a base is set: bills then use the register's value (see ``bills.generate_bills``).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from server.db import db
from server.dues.models import BaseSource, DuesBase
from server.dues.months import current_month, month_of
from server.errors import AppError
from server.members.models import Member

#: the highest base the register accepts (1,000,000 yuan), in fen
MAX_BASE_FEN = 100_000_000


def base_in_force(member_id: int, month: date) -> int | None:
    """The history's base for ``month``, or None when no row covers it."""
    return db.session.scalar(
        sa.select(DuesBase.base_fen)
        .where(DuesBase.member_id == member_id, DuesBase.effective_month <= month)
        .order_by(DuesBase.effective_month.desc())
        .limit(1)
    )


def history(member_id: int) -> list[DuesBase]:
    return list(
        db.session.scalars(
            sa.select(DuesBase).where(DuesBase.member_id == member_id).order_by(DuesBase.effective_month.desc())
        )
    )


def set_base(
    member: Member, effective_month: date, base_fen: int, *, set_by_id: int | None, source: BaseSource
) -> DuesBase:
    """Record ``base_fen`` from ``effective_month`` on (replacing a row of the same month)."""
    if not 0 <= base_fen <= MAX_BASE_FEN:
        raise AppError("bad_base", "月缴费基数应在 0 到 1,000,000 元之间")
    effective_month = month_of(effective_month)
    row = db.session.scalar(
        sa.select(DuesBase).where(DuesBase.member_id == member.id, DuesBase.effective_month == effective_month)
    )
    if row is None:
        row = DuesBase(member_id=member.id, effective_month=effective_month)
        db.session.add(row)
    row.base_fen, row.source, row.set_by_id, row.org_id = base_fen, source, set_by_id, member.org_id
    db.session.flush()
    now = current_month()
    if effective_month <= now:
        in_force = base_in_force(member.id, now)
        if in_force is not None and member.dues_base_fen != in_force:
            db.session.info.setdefault("dues_base_synced", set()).add(member.id)
            member.dues_base_fen = in_force
            db.session.flush()
    return row


@event.listens_for(Session, "before_flush")
def _register_edits_enter_the_history(session: Session, _context, _instances) -> None:
    """A base typed in the member register becomes history from this month (or the join month)."""
    synced = session.info.get("dues_base_synced", set())
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, Member):
            continue
        if obj in session.new:
            month = month_of(obj.join_date) if obj.join_date else current_month()
            session.add(
                DuesBase(
                    member=obj,
                    effective_month=month,
                    base_fen=obj.dues_base_fen or 0,
                    source=BaseSource.REGISTER,
                    org_id=obj.org_id,
                )
            )
            continue
        if obj.id in synced or not inspect(obj).attrs.dues_base_fen.history.has_changes():
            continue
        month = current_month()
        with session.no_autoflush:
            row = session.scalar(
                sa.select(DuesBase).where(DuesBase.member_id == obj.id, DuesBase.effective_month == month)
            )
        if row is None:
            row = DuesBase(member_id=obj.id, effective_month=month)
            session.add(row)
        row.base_fen, row.source, row.set_by_id, row.org_id = obj.dues_base_fen, BaseSource.REGISTER, None, obj.org_id
    session.info.pop("dues_base_synced", None)


def sync_register(month: date) -> int:
    """Bring ``members.dues_base_fen`` up to the history's base for ``month`` (a base set last year "from
    January" takes effect in the register when January comes); returns how many members changed. One
    Core UPDATE, so the listener above does not write the value back into the history."""
    latest = (
        sa.select(DuesBase.base_fen)
        .where(DuesBase.member_id == Member.id, DuesBase.effective_month <= month)
        .order_by(DuesBase.effective_month.desc())
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        sa.update(Member)
        .where(latest.is_not(None), Member.dues_base_fen != latest)
        .values(dues_base_fen=latest)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(statement).rowcount or 0
