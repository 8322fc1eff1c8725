"""Crediting learning points, and what a member reads in 我的积分.

:func:`award` is the one way points enter the ledger. It caps each source per member and Beijing day
(``POINTS_DAILY_CAPS``) and never credits the same thing twice, also when two awards for one member run
at once: a capped award first locks the member (a row lock on PostgreSQL; SQLite's writer lock), so the
day's sum it reads cannot change before its insert, and the insert is ``ON CONFLICT DO NOTHING`` on
(member, source, ref).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app

from server.db import core_execute, db, insert_unless_present, utcnow
from server.members.models import Member
from server.points import leaderboard
from server.points.models import PointsEntry, PointsSource
from server.timezone import local_date

_entries = PointsEntry.__table__
_INSERT = insert_unless_present(
    _entries,
    ["member_id", "source", "ref", "points", "earned_on", "note", "created_at"],  # LEDGER_COLUMNS
    unique=["member_id", "source", "ref"],
    returning="points",
)
_DAY_SUM = sa.select(sa.func.coalesce(sa.func.sum(_entries.c.points), 0)).where(
    _entries.c.member_id == sa.bindparam("member_id"),
    _entries.c.earned_on == sa.bindparam("day"),
    _entries.c.source == sa.bindparam("source"),
)
_members = Member.__table__
# A row lock that does not block foreign-key checks of rows pointing at the member (FOR KEY SHARE).
_LOCK_MEMBER = (
    sa.select(_members.c.id).where(_members.c.id == sa.bindparam("member_id")).with_for_update(key_share=True)
)
# SQLite has no row locks and one writer; a write that changes nothing takes the writer's lock, and
# pysqlite runs the reads after it inside the transaction. Text, so no column's ``onupdate`` fires.
_SQLITE_LOCK_MEMBER = sa.text("UPDATE members SET org_id = org_id WHERE id = :member_id")


def daily_cap(source: PointsSource) -> int | None:
    return current_app.config["POINTS_DAILY_CAPS"].get(source.value)


def lock_member(member_id: int) -> None:
    """Hold the member's row until the transaction ends: serialises their awards (and quiz starts)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK_MEMBER, {"member_id": member_id})
    else:
        connection.execute(_SQLITE_LOCK_MEMBER, {"member_id": member_id})


def earned_today(member_id: int, source: PointsSource, day: date) -> int:
    return core_execute(_DAY_SUM, {"member_id": member_id, "day": day, "source": source.value}).scalar_one()


def award(
    member_id: int,
    source: PointsSource,
    ref: str,
    points: int,
    at: datetime | None = None,
    *,
    note: str = "",
    org_path: str | None = None,
) -> int:
    """Credit ``points`` for ``ref``; returns what was actually credited: less when the day's cap for the
    source is nearly reached, 0 when it is reached or ``ref`` was credited before.

    The leaderboards follow once the transaction commits. ``org_path`` (the member's branch's path) saves
    a query where the caller has it.
    """
    values = ledger_row(member_id, source, ref, points, at, note=note)
    if values is None:
        return 0
    return recorded(values, insert_ledger_row(values), org_path)


#: the columns of :func:`ledger_row`'s row (``_INSERT`` names the same)
LEDGER_COLUMNS = ("member_id", "source", "ref", "points", "earned_on", "note", "created_at")


def ledger_row(
    member_id: int, source: PointsSource, ref: str, points: int, at: datetime | None = None, *, note: str = ""
) -> dict | None:
    """The first half of :func:`award`: the ledger row it inserts (``ON CONFLICT DO NOTHING``), with the day's
    cap applied (the member locked first when the source has one), or None when nothing is due.

    For a caller that writes the row in a statement of its own (an exam's submission, in one round trip with
    its score): it must insert exactly this row, ``ON CONFLICT (member_id, source, ref) DO NOTHING``, and
    hand what was inserted to :func:`recorded`.
    """
    if points <= 0:
        return None
    at = at or utcnow()
    day = local_date(at)
    cap = daily_cap(source)
    if cap is not None:
        lock_member(member_id)
        points = min(points, cap - earned_today(member_id, source, day))
        if points <= 0:
            return None
    values = {"member_id": member_id, "source": source.value, "ref": ref[:64], "points": points}
    return values | {"earned_on": day, "note": note[:100], "created_at": at}


def insert_ledger_row(values: dict) -> int | None:
    """Insert :func:`ledger_row`'s row unless it is there; the points it credited, None if it was there."""
    return core_execute(_INSERT, values).scalar()


def recorded(values: dict, credited: int | None, org_path: str | None = None) -> int:
    """The second half of :func:`award`: the points the insert of ``values`` credited (None: it was credited
    before), added to the leaderboards once the transaction commits; returns them (0 for None)."""
    if credited:
        leaderboard.credit_after_commit(values["member_id"], values["earned_on"], credited, org_path)
    return credited or 0


@dataclass
class Summary:
    total: int
    today: int
    by_source: dict[str, int]
    today_by_source: dict[str, int]
    daily_caps: dict[str, int | None]
    recent: list[PointsEntry]


def summary(member_id: int, recent: int = 20) -> Summary:
    """What 我的积分 shows: the total, today's points, both by source, the caps and the latest entries."""
    today = local_date(utcnow())
    rows = db.session.execute(
        sa.select(
            PointsEntry.source,
            sa.func.sum(PointsEntry.points),
            sa.func.sum(sa.case((PointsEntry.earned_on == today, PointsEntry.points), else_=0)),
        )
        .where(PointsEntry.member_id == member_id)
        .group_by(PointsEntry.source)
    ).all()
    by_source = {source.value: 0 for source in PointsSource}
    today_by_source = dict(by_source)
    for source, total, of_today in rows:
        by_source[source.value], today_by_source[source.value] = int(total), int(of_today)
    latest = db.session.scalars(
        sa.select(PointsEntry)
        .where(PointsEntry.member_id == member_id)
        .order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc())
        .limit(recent)
    ).all()
    return Summary(
        total=sum(by_source.values()),
        today=sum(today_by_source.values()),
        by_source=by_source,
        today_by_source=today_by_source,
        daily_caps={source.value: daily_cap(source) for source in PointsSource},
        recent=list(latest),
    )
