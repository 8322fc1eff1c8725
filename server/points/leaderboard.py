"""Leaderboards: members' points per organisation subtree, all time or this month (Beijing time).

Two backends behind one interface, chosen by configuration like the session store and the job queue:

- **Redis** (production, ``REDIS_URL`` set): one sorted set per organisation and period. A credited award
  adds its points (``ZINCRBY``) to the sets of the member's branch and of every organisation above it,
  once the transaction that wrote the ledger row has committed. Reading a board of 140,000 members is
  then ``ZREVRANGE`` plus one query for the names of the 50 shown; a member's rank is ``ZCOUNT`` of the
  higher scores. Ranks are competition ranks (1, 2, 2, 4): equal points, equal rank.
- **The database** (the embedded default): the boards are sums over the ledger, read through
  ``ix_points_entries_member_day`` (index-only per member).

The ledger is the truth. :func:`rebuild` recomputes every Redis set from it, into new keys renamed over
the old ones in one transaction, so readers never see a half-built board. It runs nightly (``tasks.py``)
and from ``flask --app wsgi rebuild-leaderboards``, and puts right what increments cannot follow: a member
moved to another branch, an organisation moved in the tree, an increment lost while Redis was down (the
award itself is in the ledger; members are not refused because Redis is), and an award committed in the
moment between a rebuild's read of the ledger and its rename. While Redis cannot be reached, reads fall
back to the database.
"""

from __future__ import annotations

import enum
import itertools
import logging
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

import redis
import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.auth.scope import scope_filter
from server.db import db, utcnow
from server.members.models import Member
from server.orgs.models import Organisation
from server.points.models import PointsEntry
from server.timezone import local_date

log = logging.getLogger(__name__)
T = TypeVar("T")
#: a month's sets are kept a little past the month, then Redis drops them
MONTH_KEY_TTL_S = 70 * 24 * 3600
#: members shown on a board
DEFAULT_LIMIT = 50


class Period(enum.StrEnum):
    ALL = "all"
    MONTH = "month"


PERIOD_LABELS = {Period.ALL: "总积分", Period.MONTH: "本月积分"}


@dataclass(frozen=True)
class Standing:
    rank: int
    member_id: int
    name: str
    org_name: str
    points: int


class Subtree(Protocol):
    """What a board needs of its organisation: an ``Organisation``, or the phone's cached :class:`BoardOrg`."""

    id: int
    path: str | None


@dataclass(frozen=True)
class BoardOrg:
    id: int
    name: str
    path: str | None


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def path_ids(path: str) -> list[int]:
    """ "/1/7/42/" -> [1, 7, 42]: the organisation and everything above it."""
    return [int(part) for part in path.strip("/").split("/") if part]


def ranked(rows: Iterable[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(member, points) best first -> (rank, member, points) with competition ranks."""
    out: list[tuple[int, int, int]] = []
    for position, (member_id, points) in enumerate(rows, start=1):
        rank = out[-1][0] if out and out[-1][2] == points else position
        out.append((rank, member_id, points))
    return out


def _names(member_ids: list[int]) -> dict[int, tuple[str, str]]:
    if not member_ids:
        return {}
    rows = db.session.execute(
        sa.select(Member.id, Member.name, Organisation.name)
        .join(Organisation, Organisation.id == Member.org_id)
        .where(Member.id.in_(member_ids))
    )
    return {member_id: (name, org_name) for member_id, name, org_name in rows}


def _standings(rows: list[tuple[int, int]]) -> list[Standing]:
    names = _names([member_id for member_id, _ in rows])
    return [
        Standing(rank, member_id, *names.get(member_id, ("", "")), points)
        for rank, member_id, points in ranked(rows)
        if member_id in names
    ]


# --- the database ------------------------------------------------------------------------------------


class DatabaseBoard:
    """Sums over the ledger: nothing to keep in step, nothing to rebuild."""

    def _totals(self, org: Subtree, period: Period) -> sa.Select:
        query = (
            sa.select(PointsEntry.member_id, sa.func.sum(PointsEntry.points).label("points"))
            .join(Member, Member.id == PointsEntry.member_id)
            .where(scope_filter(Member.org_id, org.path or "/"))
            .group_by(PointsEntry.member_id)
        )
        if period is Period.MONTH:
            query = query.where(PointsEntry.earned_on >= first_of_month(local_date(utcnow())))
        return query

    def top(self, org: Subtree, period: Period, limit: int) -> list[tuple[int, int]]:
        totals = self._totals(org, period).subquery()
        rows = db.session.execute(
            sa.select(totals.c.member_id, totals.c.points)
            .order_by(totals.c.points.desc(), totals.c.member_id)
            .limit(limit)
        )
        return [(member_id, int(points)) for member_id, points in rows]

    def standing(self, member_id: int, org: Subtree, period: Period) -> tuple[int | None, int]:
        mine_query = (
            sa.select(sa.func.sum(PointsEntry.points))
            .join(Member, Member.id == PointsEntry.member_id)
            .where(PointsEntry.member_id == member_id, scope_filter(Member.org_id, org.path or "/"))
        )
        if period is Period.MONTH:
            mine_query = mine_query.where(PointsEntry.earned_on >= first_of_month(local_date(utcnow())))
        mine = db.session.scalar(mine_query)
        if not mine:
            return None, 0
        totals = self._totals(org, period).subquery()
        higher = db.session.scalar(sa.select(sa.func.count()).select_from(totals).where(totals.c.points > mine))
        return higher + 1, int(mine)

    def credit(self, increments: list[tuple[int, str, date, int]]) -> None:
        """The ledger row is the credit."""

    def rebuild(self) -> int:
        return 0


# --- Redis ---------------------------------------------------------------------------------------------


class RedisBoard:
    """The sorted sets. After Redis fails once it is left alone for ``RESTING_S`` (reads go to the database,
    increments to the next rebuild) rather than making every request wait for its timeout; the first call
    that succeeds after an outage queues a rebuild, which brings back what the outage missed."""

    RESTING_S = 30

    #: KEYS: the all-time sets, then the month's sets; ARGV: points, member, how many all-time sets, the month's TTL
    INCREMENT = """
local points, member, alltime, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
for i, key in ipairs(KEYS) do
  redis.call('ZINCRBY', key, points, member)
  if i > alltime then
    redis.call('EXPIRE', key, ttl)
  end
end
"""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self._increment = None  # the script (EVALSHA, loaded again if Redis forgot it), made on first use
        self.prefix = prefix
        self.resting_until = 0.0
        self.missed = False

    def _guarded(self, call):
        if time.monotonic() < self.resting_until:
            raise redis.ConnectionError("Redis failed a moment ago: left alone for now")
        try:
            result = call()
        except redis.RedisError:
            self.resting_until, self.missed = time.monotonic() + self.RESTING_S, True
            raise
        if self.missed:
            self.missed = False
            _queue_rebuild()
        return result

    def key(self, org_id: int, period: Period, day: date | None = None) -> str:
        if period is Period.ALL:
            return f"{self.prefix}:{org_id}:all"
        return f"{self.prefix}:{org_id}:{first_of_month(day or local_date(utcnow())):%Y%m}"

    def top(self, org: Subtree, period: Period, limit: int) -> list[tuple[int, int]]:
        key = self.key(org.id, period)
        rows = self._guarded(lambda: self.client.zrevrange(key, 0, limit - 1, withscores=True))
        return [(int(member), int(score)) for member, score in rows]

    def standing(self, member_id: int, org: Subtree, period: Period) -> tuple[int | None, int]:
        key = self.key(org.id, period)

        def read() -> tuple[int | None, int]:
            score = self.client.zscore(key, member_id)
            if not score:
                return None, 0
            return self.client.zcount(key, f"({score}", "+inf") + 1, int(score)

        return self._guarded(read)

    def credit(self, increments: list[tuple[int, str, date, int]]) -> None:
        self._guarded(lambda: self._credit(increments))

    def _credit(self, increments: list[tuple[int, str, date, int]]) -> None:
        # One EVALSHA per award (one per commit on the hot paths) instead of three commands per organisation
        # up the tree: a 20,000-member exam packs and parses a sixth of the Redis traffic it used to.
        if self._increment is None:
            self._increment = self.client.register_script(self.INCREMENT)
        for member_id, path, day, points in increments:
            orgs = path_ids(path)
            keys = [self.key(org_id, Period.ALL) for org_id in orgs]
            keys += [self.key(org_id, Period.MONTH, day) for org_id in orgs]
            self._increment(keys=keys, args=[points, member_id, len(orgs), MONTH_KEY_TTL_S], client=self.client)

    def rebuild(self) -> int:
        """Every board from the ledger; returns the number of sets written."""
        this_month = first_of_month(local_date(utcnow()))
        boards: dict[str, dict[int, int]] = defaultdict(dict)
        for member_id, path, total, of_month in _totals_with_paths(this_month):
            for org_id in path_ids(path):
                boards[self.key(org_id, Period.ALL)][member_id] = total
                if of_month:
                    boards[self.key(org_id, Period.MONTH, this_month)][member_id] = of_month
        staging = f"{self.prefix}:rebuild:{secrets.token_hex(4)}:"
        pipe = self.client.pipeline(transaction=False)
        for key, scores in boards.items():
            items = list(scores.items())
            for start in range(0, len(items), 1000):
                pipe.zadd(staging + key, dict(items[start : start + 1000]))
            pipe.expire(staging + key, 3600)  # a rebuild that dies half-way leaves nothing for long
        pipe.execute()
        stale = [key for key in self._live_keys() if key not in boards]
        swap = self.client.pipeline(transaction=True)  # MULTI/EXEC: readers see the old boards or the new
        for key in boards:
            swap.rename(staging + key, key)
            if not key.endswith(":all"):
                swap.expire(key, MONTH_KEY_TTL_S)
        if stale:
            swap.delete(*stale)
        swap.execute()
        return len(boards)

    def _live_keys(self) -> list[str]:
        keys = self.client.scan_iter(match=f"{self.prefix}:*", count=1000)
        return [key.decode() for key in keys if b":rebuild:" not in key]

    def clear(self) -> None:
        keys = list(self.client.scan_iter(match=f"{self.prefix}:*", count=1000))
        if keys:
            self.client.delete(*keys)


def _queue_rebuild() -> None:
    from server.points.tasks import rebuild_leaderboards_job

    try:
        rebuild_leaderboards_job()
    except Exception:  # the queue is on the same Redis: if it failed again, the nightly rebuild remains
        log.exception("could not queue the leaderboards' rebuild after Redis came back")


def _totals_with_paths(this_month: date) -> Iterable[tuple[int, str, int, int]]:
    """(member, their branch's path, all-time points, this month's) for every member with points."""
    of_month = sa.func.sum(sa.case((PointsEntry.earned_on >= this_month, PointsEntry.points), else_=0))
    totals = (
        sa.select(PointsEntry.member_id, sa.func.sum(PointsEntry.points).label("total"), of_month.label("month"))
        .group_by(PointsEntry.member_id)
        .subquery()
    )
    query = (
        sa.select(totals.c.member_id, Organisation.path, totals.c.total, totals.c.month)
        .join(Member, Member.id == totals.c.member_id)
        .join(Organisation, Organisation.id == Member.org_id)
    )
    for member_id, path, total, month in db.session.execute(query.execution_options(yield_per=5000)):
        yield member_id, path, int(total), int(month)


# --- the interface -------------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    if app.config["REDIS_URL"]:
        timeout = app.config["REDIS_TIMEOUT"]
        client = redis.Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=timeout, socket_timeout=timeout)
        app.extensions["points_board"] = RedisBoard(client, app.config["POINTS_REDIS_PREFIX"])
    else:
        app.extensions["points_board"] = DatabaseBoard()
    app.extensions["points_shared"] = Shared()


def board() -> DatabaseBoard | RedisBoard:
    return current_app.extensions["points_board"]


def top(org: Subtree, period: Period, limit: int = DEFAULT_LIMIT) -> list[Standing]:
    """The best ``limit`` members of ``org``'s subtree, with their ranks."""
    try:
        rows = board().top(org, period, limit)
    except redis.RedisError as exc:
        log.warning("Redis unreachable, leaderboard read from the database: %s", exc)
        rows = DatabaseBoard().top(org, period, limit)
    return _standings(rows)


class Shared:
    """What every phone of a board reads alike, kept by each web process for ``LEADERBOARD_SHARED_S``
    seconds: which board a branch's members see, and that board's best 50 with their names. When a
    140,000-member committee opens 排行榜 during an exam, each process reads them once in those seconds
    instead of once per member (a Redis read, a query for 50 names, two for the board's organisation).
    A member's own rank and points are read live on every request. At most ``MAX_ENTRIES`` are kept."""

    MAX_ENTRIES = 512

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple, tuple[float, object]] = {}

    def get(self, key: tuple, read: Callable[[], T]) -> T:
        seconds = current_app.config["LEADERBOARD_SHARED_S"]
        now = self._clock()
        kept = self._entries.get(key)
        if kept is not None and kept[0] > now:
            return kept[1]  # type: ignore[return-value]
        value = read()
        if seconds > 0:
            with self._lock:
                entries = self._entries
                entries.pop(key, None)  # kept again, it goes last: the entries least recently read go first
                if len(entries) >= self.MAX_ENTRIES:
                    # a quarter at a time: a committee's boards stay while its branches come and go
                    for oldest in list(itertools.islice(entries, self.MAX_ENTRIES // 4)):
                        del entries[oldest]
                entries[key] = (now + seconds, value)
        return value


def shared(key: tuple, read: Callable[[], T]) -> T:
    """``read()``, or what it gave within the last ``LEADERBOARD_SHARED_S`` seconds in this process."""
    return current_app.extensions["points_shared"].get(key, read)


def standing(member_id: int, org: Subtree, period: Period) -> tuple[int | None, int]:
    """(rank, points) of a member on ``org``'s board; (None, 0) without points."""
    try:
        return board().standing(member_id, org, period)
    except redis.RedisError as exc:
        log.warning("Redis unreachable, rank read from the database: %s", exc)
        return DatabaseBoard().standing(member_id, org, period)


def rebuild() -> int:
    return board().rebuild()


def credit_after_commit(member_id: int, day: date, points: int, org_path: str | None = None) -> None:
    """Add credited points to the boards once the ledger row is committed (Redis only)."""
    if isinstance(board(), DatabaseBoard):
        return
    if org_path is None:
        org_path = db.session.scalar(
            sa.select(Organisation.path).join(Member, Member.org_id == Organisation.id).where(Member.id == member_id)
        )
    db.session().info.setdefault("points_increments", []).append((member_id, org_path, day, points))


@event.listens_for(Session, "after_commit")
def _apply_increments(session: Session) -> None:
    increments = session.info.pop("points_increments", None)
    if not increments:
        return
    try:
        board().credit(increments)
    except redis.RedisError as exc:
        # The points are in the ledger; the nightly rebuild puts the boards right.
        log.warning("Redis unreachable, %d leaderboard increments left to the rebuild: %s", len(increments), exc)


@event.listens_for(Session, "after_rollback")
def _drop_increments(session: Session) -> None:
    session.info.pop("points_increments", None)
