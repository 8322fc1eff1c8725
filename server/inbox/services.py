"""A member's inbox: delivering to many members at once, listing, unread counts, marking read.

Delivery is one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` per window of members, never one ORM object
per member: the unique key (member, kind, ref) makes a second delivery, a retry or two workers at once
change nothing. What members may no longer see (a withdrawn issue) is hidden by the source's filter
(server/inbox/sources.py), not by touching their rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from server.db import db, utcnow
from server.errors import AppError
from server.inbox.models import InboxItem, InboxKind
from server.inbox.sources import Entry, source_for, visible_condition

_items = InboxItem.__table__
#: members per INSERT … SELECT: each window is one short statement, so a delivery to 100,000 members
#: holds no long lock and the job can commit as it goes
DELIVERY_WINDOW = 5000
_CURSOR = re.compile(r"^(\d{1,17})-(\d{1,10})$")
BAD_CURSOR = "翻页参数无效，请下拉刷新后重试"


def insert_ignoring_duplicates(table: sa.Table):
    """``INSERT … ON CONFLICT DO NOTHING`` for this session's database (PostgreSQL and SQLite both have it)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def member_windows(members: sa.Select, size: int = DELIVERY_WINDOW):
    """``(low, high]`` member id ranges of at most ``size`` of the selected members, in id order.

    Each window costs one indexed query; no list of ids is held in memory.
    """
    ids = members.subquery("m")
    column = ids.c[0]
    low = 0
    while True:
        window = sa.select(column).where(column > low).order_by(column).limit(size).subquery("w")
        high = db.session.scalar(sa.select(sa.func.max(window.c[0])))
        if high is None:
            return
        yield low, high
        low = high


def in_window(members: sa.Select, low: int, high: int) -> sa.Select:
    ids = members.subquery("m")
    return sa.select(ids.c[0]).where(ids.c[0] > low, ids.c[0] <= high)


def deliver(kind: InboxKind, ref_id: int, members: sa.Select, now: datetime | None = None) -> int:
    """Put ``(kind, ref_id)`` in the inbox of each member ``members`` selects (one id column); how many were new.

    Members who have it already are left alone, with their read mark.
    """
    now = now or utcnow()
    ids = members.subquery("recipients")
    rows = sa.select(
        ids.c[0], sa.literal(kind.value), sa.literal(ref_id), sa.literal(now, type_=_items.c.delivered_at.type)
    )
    # SQLite reads "SELECT … ON CONFLICT" ambiguously unless the SELECT has a WHERE clause.
    rows = rows.where(ids.c[0].is_not(None))
    statement = insert_ignoring_duplicates(_items).from_select(["member_id", "kind", "ref_id", "delivered_at"], rows)
    # Counted from RETURNING, a window's worth at most: a driver may not report INSERT … SELECT's row count.
    return len(db.session.execute(statement.on_conflict_do_nothing().returning(_items.c.id)).all())


def find(member_id: int, kind: InboxKind, ref_id: int) -> InboxItem | None:
    """The member's inbox row for the item, if they are a recipient (visible or not)."""
    return db.session.scalar(
        sa.select(InboxItem).where(InboxItem.member_id == member_id, InboxItem.kind == kind, InboxItem.ref_id == ref_id)
    )


def mark_read(member_id: int, kind: InboxKind, ref_id: int, now: datetime | None = None) -> None:
    """The member opened the item: the first time counts, later opens change nothing."""
    db.session.execute(
        sa.update(_items)
        .where(_items.c.member_id == member_id, _items.c.kind == kind, _items.c.ref_id == ref_id)
        .where(_items.c.read_at.is_(None))
        .values(read_at=now or utcnow())
    )


def _visible(member_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(InboxItem.member_id == member_id, visible_condition(InboxItem.kind, InboxItem.ref_id))


def unread_counts(member_id: int) -> dict[str, int]:
    """Unread visible items by kind, every kind named (0 where none)."""
    rows = db.session.execute(
        sa.select(InboxItem.kind, sa.func.count())
        .where(_visible(member_id), InboxItem.read_at.is_(None))
        .group_by(InboxItem.kind)
    ).all()
    counts = {kind.value: 0 for kind in InboxKind}
    counts.update({InboxKind(kind).value: count for kind, count in rows})
    return counts


@dataclass(frozen=True)
class Listed:
    item: InboxItem
    entry: Entry


@dataclass(frozen=True)
class Page:
    items: list[Listed]
    next_cursor: str | None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def cursor_of(item: InboxItem) -> str:
    """Where a page ended: the last item's delivery time (integer microseconds, exact) and id."""
    return f"{(item.delivered_at - _EPOCH) // _MICROSECOND}-{item.id}"


def _after(cursor: str) -> sa.ColumnElement[bool]:
    """Items older than the cursor's: (delivered_at, id) below it, in the list's own order."""
    match = _CURSOR.match(cursor)
    if match is None:
        raise AppError("invalid_cursor", BAD_CURSOR, status=422, fields={"cursor": [BAD_CURSOR]})
    micros, item_id = int(match.group(1)), int(match.group(2))
    try:
        moment = _EPOCH + micros * _MICROSECOND
    except OverflowError as exc:
        raise AppError("invalid_cursor", BAD_CURSOR, status=422, fields={"cursor": [BAD_CURSOR]}) from exc
    return sa.or_(InboxItem.delivered_at < moment, sa.and_(InboxItem.delivered_at == moment, InboxItem.id < item_id))


def list_items(member_id: int, cursor: str | None = None, limit: int = 20) -> Page:
    """The member's visible items, newest first, ``limit`` at a time; ``next_cursor`` asks for the next page."""
    query = sa.select(InboxItem).where(_visible(member_id))
    if cursor:
        query = query.where(_after(cursor))
    rows = list(db.session.scalars(query.order_by(InboxItem.delivered_at.desc(), InboxItem.id.desc()).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    entries: dict[tuple[InboxKind, int], Entry] = {}
    for kind in {row.kind for row in rows}:
        described = source_for(kind).describe([row.ref_id for row in rows if row.kind == kind])
        entries.update({(kind, ref_id): entry for ref_id, entry in described.items()})
    listed = [Listed(row, entries[(row.kind, row.ref_id)]) for row in rows if (row.kind, row.ref_id) in entries]
    return Page(listed, cursor_of(rows[-1]) if more and rows else None)
