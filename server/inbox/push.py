"""The push engine: subscribe messages to many members, in batches, each member at most once.

One push is ``(kind, ref_id, round)``: one row per recipient in ``inbox_pushes``. A job takes one batch:

1. **claim** as many pending rows that are due as it has threads (``PUSH_THREADS``, default 4), setting
   them ``sending`` in one statement (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so several jobs take
   disjoint slices; SQLite has one writer), and **commit before WeChat is called**;
2. **send** them on the job's thread pool, one call per thread: the threads only talk to WeChat, the
   database stays with the job's own thread;
3. **settle** each row with WeChat's answer, and commit; then the next slice, until the job has sent
   ``PUSH_BATCH_SIZE`` or nothing is due. A row is ``sending`` only while its own call is under way:

   - accepted → ``sent``; our count of the member's consent goes down by one;
   - 43101 (no consent, or used up) → ``no_quota``; our count becomes zero (``consent_gone``);
   - -1 (busy) or 45009 (rate limit), or an access token still refused after the adapter's one refresh
     and retry → certainly not sent: back to ``pending``, no new call starts in this job, and the job
     is retried with a growing delay; a push still busy after ``PUSH_MAX_ATTEMPTS`` claims is ``failed``;
   - no answer in time, or a gateway's 5xx → ``uncertain``, never sent again: a member pushed twice is
     worse than one push missing, and the item is in their inbox anyway;
   - any other refusal (a bad openid, template or field) → ``failed`` with the errcode.

A row claimed is never claimed again, so nothing runs twice however the job is repeated (Huey's retry, a
duplicate delivery, the sweep). The queue may lose a job, so every minute :func:`sweep` queues again the
pushes whose pending rows made no progress for a lease, and turns rows left ``sending`` longer than a
lease (their worker died between the claim and the answer) into ``uncertain``. The price of a killed
worker is the calls it had under way, at most ``PUSH_THREADS`` per job, in doubt (WeChat has most of them
already: a call is made the moment its row is claimed); nobody is pushed twice and nobody who was not in
flight is missed.

Quiet hours (``PUSH_QUIET_HOURS``, default 22:00–07:00 in the display time zone): a push that is not
urgent gets ``not_before`` = the end of the quiet hours and its jobs are scheduled for then; a push still
going out when they begin stops at its next batch and waits the same way. The inbox has the item at
once regardless.
"""

from __future__ import annotations

import enum
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from server.auth.models import WechatBinding
from server.db import db, utcnow
from server.inbox.models import InboxKind, Push, PushStatus
from server.inbox.services import insert_ignoring_duplicates
from server.inbox.sources import PushMessage, source_for
from server.observability import metrics
from server.subscriptions.models import Subscription
from server.timezone import display_zone
from server.wechat import WeChatMiniProgram, get_wechat, subscribe
from server.wechat.errors import (
    ACCESS_TOKEN_EXPIRED,
    INVALID_CREDENTIAL,
    SUBSCRIPTION_REFUSED,
    WeChatError,
    WeChatUnavailable,
)

log = logging.getLogger(__name__)
_pushes = Push.__table__
_subscriptions = Subscription.__table__
#: an access token WeChat still refused after the adapter fetched a fresh one: certainly nothing sent
_TOKEN_REFUSED = frozenset({INVALID_CREDENTIAL, 40014, ACCESS_TOKEN_EXPIRED})


class PushBusy(Exception):
    """WeChat was busy or rate-limited us: the batch was given back, and the job is to be retried later."""


class Outcome(enum.Enum):
    SENT = PushStatus.SENT
    NO_QUOTA = PushStatus.NO_QUOTA
    UNCERTAIN = PushStatus.UNCERTAIN
    FAILED = PushStatus.FAILED
    BUSY = "busy"  # certainly not sent: back to pending
    NOT_TRIED = "not_tried"  # not called, because WeChat had said busy: back to pending


@dataclass(frozen=True)
class Claimed:
    id: int
    member_id: int
    template_id: str
    openid: str | None


@dataclass(frozen=True)
class Result:
    push: Claimed
    outcome: Outcome
    errcode: int | None = None


@dataclass
class BatchReport:
    counts: Counter
    #: pending rows that are due remain: the job queues the next batch
    more: bool = False
    #: WeChat said busy: the job is retried later
    busy: bool = False
    #: the quiet hours began while the push was going out: the rest waits until then
    deferred_until: datetime | None = None


# --- quiet hours --------------------------------------------------------------------------------------


def _quiet_hours() -> tuple[time, time] | None:
    setting = (current_app.config.get("PUSH_QUIET_HOURS") or "").strip()
    if not setting:
        return None
    start, _, end = setting.partition("-")
    quiet = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    return None if quiet[0] == quiet[1] else quiet


def quiet_until(now: datetime) -> datetime | None:
    """When the quiet hours that ``now`` falls in end (UTC), or None outside them."""
    quiet = _quiet_hours()
    if quiet is None:
        return None
    start, end = quiet
    local = now.astimezone(display_zone())
    clock = local.time()
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, display_zone()).astimezone(now.tzinfo)


def not_before(urgent: bool, now: datetime) -> datetime | None:
    """When a push started now may go out: at once if urgent or outside the quiet hours."""
    return None if urgent else quiet_until(now)


# --- creating the rows -----------------------------------------------------------------------------------


def create(
    kind: InboxKind,
    ref_id: int,
    round: int,
    template_id: str,
    members: sa.Select,
    *,
    due: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """One push row per selected member who has bound WeChat, in one INSERT … SELECT; how many were new.

    ``pending`` where our count says the member has consent for the template from the WeChat they use
    now, ``no_quota`` otherwise (nothing to send: WeChat would answer 43101). Existing rows stay as they are.
    """
    now = now or utcnow()
    ids = members.subquery("recipients")
    consent = sa.and_(
        Subscription.member_id == WechatBinding.member_id,
        Subscription.template_id == template_id,
        Subscription.openid == WechatBinding.openid,
    )
    status = sa.case((Subscription.remaining > 0, PushStatus.PENDING.value), else_=PushStatus.NO_QUOTA.value)
    rows = (
        sa.select(
            WechatBinding.member_id,
            sa.literal(kind.value),
            sa.literal(ref_id),
            sa.literal(round),
            sa.literal(template_id),
            status,
            sa.literal(0),
            sa.literal(due, type_=_pushes.c.not_before.type),
            sa.literal(now, type_=_pushes.c.updated_at.type),
        )
        .join(ids, ids.c[0] == WechatBinding.member_id)
        .outerjoin(Subscription, consent)
        .where(WechatBinding.member_id.is_not(None))  # SQLite: an INSERT … SELECT … ON CONFLICT needs a WHERE
        .order_by(WechatBinding.member_id)  # ids in member order: a push goes out in a predictable order
    )
    columns = ["member_id", "kind", "ref_id", "round", "template_id", "status", "attempts", "not_before", "updated_at"]
    statement = insert_ignoring_duplicates(_pushes).from_select(columns, rows).on_conflict_do_nothing()
    return len(db.session.execute(statement.returning(_pushes.c.id)).all())  # the driver may not count it


def _of(kind: InboxKind, ref_id: int, round: int | None = None) -> sa.ColumnElement[bool]:
    where = sa.and_(_pushes.c.kind == kind, _pushes.c.ref_id == ref_id)
    return where if round is None else sa.and_(where, _pushes.c.round == round)


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        _pushes.c.status == PushStatus.PENDING,
        sa.or_(_pushes.c.not_before.is_(None), _pushes.c.not_before <= now),
    )


def cancel_pending(kind: InboxKind, ref_id: int, now: datetime | None = None) -> int:
    """Stop what has not gone out yet (the item was withdrawn); rows being sent right now finish."""
    result = db.session.execute(
        sa.update(_pushes)
        .where(_of(kind, ref_id), _pushes.c.status == PushStatus.PENDING)
        .values(status=PushStatus.CANCELLED, updated_at=now or utcnow())
    )
    return result.rowcount


def defer(kind: InboxKind, ref_id: int, round: int, until: datetime, now: datetime) -> int:
    """Hold the push's waiting rows until ``until`` (the quiet hours began while it was going out)."""
    result = db.session.execute(
        sa.update(_pushes).where(_of(kind, ref_id, round), _due(now)).values(not_before=until, updated_at=now)
    )
    return result.rowcount


def has_due(kind: InboxKind, ref_id: int, round: int, now: datetime) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(_of(kind, ref_id, round), _due(now)))) or False


# --- one batch: claim, send, settle ----------------------------------------------------------------------


def claim(kind: InboxKind, ref_id: int, round: int, limit: int, now: datetime) -> list[Claimed]:
    """Take up to ``limit`` due rows for this job (``sending``), in id order; the caller commits at once."""
    # Two statements, not UPDATE … WHERE id IN (SELECT … LIMIT … FOR UPDATE SKIP LOCKED): PostgreSQL may
    # run such a subquery more than once within the UPDATE and take more than ``limit`` rows.
    batch = db.session.scalars(
        sa.select(_pushes.c.id)
        .where(_of(kind, ref_id, round), _due(now))
        .order_by(_pushes.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL: concurrent jobs take disjoint batches
    ).all()
    if not batch:
        return []
    taken = db.session.execute(
        sa.update(_pushes)
        .where(_pushes.c.id.in_(batch), _pushes.c.status == PushStatus.PENDING)  # SQLite: one writer decides
        .values(status=PushStatus.SENDING, attempts=_pushes.c.attempts + 1, updated_at=now)
        .returning(_pushes.c.id, _pushes.c.member_id, _pushes.c.template_id)
    ).all()
    if not taken:
        return []
    openids = dict(
        db.session.execute(
            sa.select(WechatBinding.member_id, WechatBinding.openid).where(
                WechatBinding.member_id.in_([row.member_id for row in taken])
            )
        ).all()
    )
    claimed = [Claimed(row.id, row.member_id, row.template_id, openids.get(row.member_id)) for row in taken]
    return sorted(claimed, key=lambda push: push.id)


def _answer(error: WeChatError) -> tuple[Outcome, int]:
    if isinstance(error, WeChatUnavailable):
        return (Outcome.UNCERTAIN if error.uncertain else Outcome.BUSY), error.errcode
    if error.errcode == SUBSCRIPTION_REFUSED:
        return Outcome.NO_QUOTA, error.errcode
    if error.errcode in _TOKEN_REFUSED:
        return Outcome.BUSY, error.errcode
    return Outcome.FAILED, error.errcode


class _Sender:
    """Sends one batch on a bounded pool of threads; after a "busy" no new call starts."""

    def __init__(self, wechat: WeChatMiniProgram, message: PushMessage) -> None:
        self.wechat = wechat
        self.data = subscribe.message_data(message.template, message.values)
        self.page = message.page
        self.busy = False

    def send(self, push: Claimed) -> Result:
        if push.openid is None:
            return Result(push, Outcome.FAILED)  # unbound since: nobody to send to
        if self.busy:
            return Result(push, Outcome.NOT_TRIED)
        try:
            self.wechat.send_subscribe_message(push.openid, push.template_id, self.data, page=self.page)
        except WeChatError as error:
            outcome, errcode = _answer(error)
            if outcome is Outcome.BUSY:
                self.busy = True
            elif outcome is Outcome.FAILED or outcome is Outcome.UNCERTAIN:
                log.warning("push %s to member %s: %s", push.id, push.member_id, error)
            return Result(push, outcome, errcode)
        return Result(push, Outcome.SENT)


_USED_ONE = (
    sa.update(_subscriptions)
    .where(
        _subscriptions.c.member_id == sa.bindparam("m"),
        _subscriptions.c.template_id == sa.bindparam("t"),
        _subscriptions.c.openid == sa.bindparam("o"),
        _subscriptions.c.remaining > 0,
    )
    .values(remaining=_subscriptions.c.remaining - 1, updated_at=sa.bindparam("now"))
)
_CONSENT_GONE = (
    sa.update(_subscriptions)
    .where(_subscriptions.c.member_id == sa.bindparam("m"), _subscriptions.c.template_id == sa.bindparam("t"))
    .values(remaining=0, refused_at=sa.bindparam("now"), updated_at=sa.bindparam("now"))
)


def _count_consent(results: list[Result], now: datetime) -> None:
    """Keep our count of each member's consent in step with what WeChat did (server/subscriptions)."""
    used = [
        {"m": r.push.member_id, "t": r.push.template_id, "o": r.push.openid, "now": now}
        for r in results
        if r.outcome in (Outcome.SENT, Outcome.UNCERTAIN)  # an uncertain one may have used it: show less
    ]
    gone = [
        {"m": r.push.member_id, "t": r.push.template_id, "now": now} for r in results if r.outcome is Outcome.NO_QUOTA
    ]
    if used:
        db.session.execute(_USED_ONE, used)
    if gone:
        db.session.execute(_CONSENT_GONE, gone)


def settle(results: list[Result], now: datetime) -> None:
    """Record each claimed row's outcome; rows WeChat certainly did not take go back to ``pending``.

    One UPDATE per outcome and errcode. An outcome may also replace ``uncertain``: the sweep judged the
    worker dead too early, and here is WeChat's real answer.
    """
    final: dict[tuple[PushStatus, int | None], list[int]] = {}
    for result in results:
        if isinstance(result.outcome.value, PushStatus):
            final.setdefault((result.outcome.value, result.errcode), []).append(result.push.id)
    open_rows = sa.or_(_pushes.c.status == PushStatus.SENDING, _pushes.c.status == PushStatus.UNCERTAIN)
    for (status, errcode), ids in final.items():
        db.session.execute(
            sa.update(_pushes)
            .where(_pushes.c.id.in_(ids), open_rows)
            .values(status=status, errcode=errcode, updated_at=now)
        )
    _give_back([r for r in results if r.outcome is Outcome.BUSY], now, tried=True)
    _give_back([r for r in results if r.outcome is Outcome.NOT_TRIED], now, tried=False)
    _count_consent(results, now)


def _give_back(results: list[Result], now: datetime, *, tried: bool) -> None:
    """Back to ``pending``; a push WeChat answered "busy" on too many claims is given up as ``failed``."""
    if not results:
        return
    sending = sa.and_(_pushes.c.id.in_([r.push.id for r in results]), _pushes.c.status == PushStatus.SENDING)
    errcode = results[0].errcode
    if tried:
        limit = current_app.config["PUSH_MAX_ATTEMPTS"]
        db.session.execute(
            sa.update(_pushes)
            .where(sending, _pushes.c.attempts >= limit)
            .values(status=PushStatus.FAILED, errcode=errcode, updated_at=now)
        )
        values = {"status": PushStatus.PENDING, "errcode": errcode, "updated_at": now}
    else:
        values = {"status": PushStatus.PENDING, "attempts": _pushes.c.attempts - 1, "updated_at": now}
    db.session.execute(sa.update(_pushes).where(sending).values(**values))


def run_batch(kind: InboxKind, ref_id: int, round: int, now: datetime | None = None) -> BatchReport:
    """Claim, send and settle one batch of the push; commits after the claim and after the settling."""
    now = now or utcnow()
    config = current_app.config
    source = source_for(kind)
    message = source.message(ref_id)
    if message is None:  # withdrawn: nothing more goes out
        cancelled = cancel_pending(kind, ref_id, now)
        db.session.commit()
        return BatchReport(Counter({"cancelled": cancelled}))
    if (until := not_before(source.urgent(ref_id), now)) is not None:
        deferred = defer(kind, ref_id, round, until, now)
        db.session.commit()
        if not deferred:
            return BatchReport(Counter())  # nothing due: waiting already
        return BatchReport(Counter({"deferred": deferred}), deferred_until=until)
    counts: Counter = Counter()
    threads, left = max(1, config["PUSH_THREADS"]), config["PUSH_BATCH_SIZE"]
    sender = _Sender(get_wechat(), message)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="push") as pool:
        while left > 0 and not sender.busy:
            # A slice of one call per thread: a worker killed now leaves only its calls under way in doubt.
            claimed = claim(kind, ref_id, round, min(threads, left), now)
            db.session.commit()  # claimed before anything is sent: no other job or retry takes these rows
            if not claimed:
                break
            results = list(pool.map(sender.send, claimed))
            settle(results, utcnow())
            db.session.commit()
            counts.update(r.outcome.name.lower() for r in results)
            metrics.count_pushes(r.outcome.name.lower() for r in results)
            left -= len(claimed)
    busy = sender.busy
    return BatchReport(counts, more=not busy and has_due(kind, ref_id, round, utcnow()), busy=busy)


# --- the sweep ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stalled:
    kind: InboxKind
    ref_id: int
    round: int


def sweep(now: datetime | None = None) -> tuple[int, list[Stalled]]:
    """Rows left ``sending`` a lease ago become ``uncertain``; pushes whose due rows made no progress for a
    lease are returned to be queued again (and marked, so the next sweep waits another lease)."""
    now = now or utcnow()
    stale = now - timedelta(minutes=current_app.config["JOB_LEASE_MINUTES"])
    stalled = _stalled(now, stale)  # before the abandoned rows below change, which is no progress
    abandoned = db.session.execute(
        sa.update(_pushes)
        .where(_pushes.c.status == PushStatus.SENDING, _pushes.c.updated_at < stale)
        .values(status=PushStatus.UNCERTAIN, updated_at=now)
    ).rowcount
    if abandoned:
        log.warning("%s pushes left sending by a worker that stopped: marked uncertain, not sent again", abandoned)
    return abandoned, stalled


def _stalled(now: datetime, stale: datetime) -> list[Stalled]:
    """Pushes with due rows whose last change and due time are both older than ``stale``; each marked queued."""
    groups = db.session.execute(
        sa.select(_pushes.c.kind, _pushes.c.ref_id, _pushes.c.round).where(_due(now)).distinct()
    ).all()
    stalled = []
    for kind, ref_id, round in groups:
        progress = db.session.execute(
            sa.select(sa.func.max(_pushes.c.updated_at), sa.func.max(_pushes.c.not_before)).where(
                _of(kind, ref_id, round)
            )
        ).one()
        if any(moment is not None and moment >= stale for moment in progress):
            continue  # a job is at it, or it has just become due
        first = sa.select(sa.func.min(_pushes.c.id)).where(_of(kind, ref_id, round), _due(now)).scalar_subquery()
        db.session.execute(sa.update(_pushes).where(_pushes.c.id == first).values(updated_at=now))
        stalled.append(Stalled(InboxKind(kind), ref_id, round))
    return stalled


# --- progress --------------------------------------------------------------------------------------------


def counts(kind: InboxKind, ref_ids: list[int]) -> dict[int, Counter]:
    """Pushes by status, per item."""
    found: dict[int, Counter] = {ref_id: Counter() for ref_id in ref_ids}
    if not ref_ids:
        return found
    rows = db.session.execute(
        sa.select(_pushes.c.ref_id, _pushes.c.status, sa.func.count())
        .where(_pushes.c.kind == kind, _pushes.c.ref_id.in_(ref_ids))
        .group_by(_pushes.c.ref_id, _pushes.c.status)
    ).all()
    for ref_id, status, count in rows:
        found[ref_id][PushStatus(status).value] += count
    return found
