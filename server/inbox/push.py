"""The push engine: subscribe messages to many members, in batches, each member at most once.

One push is ``(kind, ref_id, round)``: one row per recipient in ``inbox_pushes``. A job takes one batch:

1. **claim** a slice of due rows (``sending``, in one UPDATE after one ``SELECT … FOR UPDATE OF … SKIP
   LOCKED``, so several jobs take disjoint slices; SQLite has one writer), reading each member's openid
   and our count of their consent with it, and **commit before WeChat is called**. A slice holds up to
   ``PUSH_CLAIM_SIZE`` (default 64) members who have exactly one consent, but at most ``PUSH_THREADS`` who
   have more (the rule below says why), and those go first;
2. **send** them on the job's thread pool (``PUSH_THREADS``, default 8; server/wechat/bulk.py: the message
   built once, one access token, a keep-alive connection per thread). The threads only talk to WeChat, the
   database stays with the job's own thread;
3. **settle** the slice with WeChat's answers, one UPDATE per outcome, in the transaction that claims the
   next slice; then the next, until the job has sent ``PUSH_BATCH_SIZE`` or nothing is due:

   - accepted → ``sent``; our count of the member's consent goes down by one;
   - 43101 (no consent, or used up) → ``no_quota``; our count becomes zero (``consent_gone``);
   - -1 (busy) or 45009 (rate limit), or an access token still refused after one refresh and retry →
     certainly not sent: back to ``pending``, no new call starts in this job, and the job is retried with
     a growing delay; a push still busy after ``PUSH_MAX_ATTEMPTS`` claims is ``failed``;
   - no answer in time, or a gateway's 5xx → in doubt: ``resend`` under the rule below, else
     ``uncertain``, never sent again: a member pushed twice is worse than one push missing, and the item
     is in their inbox anyway;
   - any other refusal (a bad openid, template or field) → ``failed`` with the errcode.

**One consent, sent again.** WeChat's subscribe-message send has no idempotency key and no delivery query,
but one-time consent is a quota WeChat keeps: each "allow" lets one message through, and a message beyond
it is refused with 43101 (the emulator counts and spends it the same way). So a push in doubt whose member
had exactly one consent (our count) when it was claimed, and whose consent row has not changed since (no
new tap, no other message with the template settled), is sent again (``resend``): if the first call
reached WeChat the quota is spent and WeChat answers 43101, which here means *sent*, confirmed by the
spent quota (``sent`` with errcode 43101; our count goes down by one, as for any message sent); otherwise
the second call delivers it. Either way the member gets exactly one. The row is checked again when it is
claimed (still one consent, still unchanged, fewer than ``PUSH_MAX_ATTEMPTS`` claims), else it becomes
``uncertain``. Members with more consents keep at-most-once: a second call could be delivered too. What
the rule trusts: that our count is not below WeChat's (so a push in doubt does not lower it; a tap the
mini-program failed to report would let a re-send arrive twice) and that the clocks of our processes agree
to within the time between a claim and a tap. A member who muted the mini-program's notifications between
the two calls is recorded as sent.

A row claimed is never claimed again while ``sending``, so nothing runs twice however the job is repeated
(Huey's retry, a duplicate delivery, the sweep). The queue may lose a job, so every minute :func:`sweep`
queues again the pushes whose due rows made no progress for a lease, and settles rows left ``sending``
longer than a lease (their worker died between the claim and the answer) by the rule above: ``resend``
(queued at once) or ``uncertain``. The price of a killed worker is the calls to members with more than one
consent it had claimed, at most ``PUSH_THREADS`` per job, in doubt; nobody is pushed twice and nobody with
one consent is missed.

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
from server.wechat import get_wechat, subscribe
from server.wechat.bulk import BulkSubscribe
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
_bindings = WechatBinding.__table__
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
    #: our count of the member's consent to the template when the row was claimed
    consent: int = 0
    #: claimed as ``resend``: a 43101 means the first call was delivered
    resend: bool = False


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


_WAITING = (PushStatus.PENDING, PushStatus.RESEND)


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        _pushes.c.status.in_(_WAITING),
        sa.or_(_pushes.c.not_before.is_(None), _pushes.c.not_before <= now),
    )


def cancel_pending(kind: InboxKind, ref_id: int, now: datetime | None = None) -> int:
    """Stop what has not gone out yet (the item was withdrawn); rows being sent right now finish. A row to be
    sent again stays in doubt (``uncertain``): its first call may have arrived."""
    now = now or utcnow()
    db.session.execute(
        sa.update(_pushes)
        .where(_of(kind, ref_id), _pushes.c.status == PushStatus.RESEND)
        .values(status=PushStatus.UNCERTAIN, updated_at=now)
    )
    result = db.session.execute(
        sa.update(_pushes)
        .where(_of(kind, ref_id), _pushes.c.status == PushStatus.PENDING)
        .values(status=PushStatus.CANCELLED, updated_at=now)
    )
    return result.rowcount


def defer(kind: InboxKind, ref_id: int, round: int, until: datetime, now: datetime) -> int:
    """Hold the push's waiting rows until ``until`` (the quiet hours began while it was going out)."""
    result = db.session.execute(
        sa.update(_pushes)
        .where(_of(kind, ref_id, round), _due(now), _pushes.c.status == PushStatus.PENDING)
        .values(not_before=until, updated_at=now)
    )
    # A ``resend`` row keeps its time: it says when its member's consent was last found unchanged.
    resend = db.session.execute(
        sa.update(_pushes)
        .where(_of(kind, ref_id, round), _due(now), _pushes.c.status == PushStatus.RESEND)
        .values(not_before=until)
    )
    return result.rowcount + resend.rowcount


def has_due(kind: InboxKind, ref_id: int, round: int, now: datetime) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(_of(kind, ref_id, round), _due(now)))) or False


# --- one batch: claim, send, settle ----------------------------------------------------------------------


def _one_consent_unchanged() -> sa.ColumnElement[bool]:
    """The row's member has exactly one consent to its template from the WeChat they use, and the consent row
    has not changed since the push row last did (its claim, or its being marked ``resend``)."""
    return sa.exists().where(
        _subscriptions.c.member_id == _pushes.c.member_id,
        _subscriptions.c.template_id == _pushes.c.template_id,
        _bindings.c.member_id == _pushes.c.member_id,
        _subscriptions.c.openid == _bindings.c.openid,
        _subscriptions.c.remaining == 1,
        _subscriptions.c.updated_at <= _pushes.c.updated_at,
    )


_CLAIM_COLUMNS = (
    _pushes.c.id,
    _pushes.c.member_id,
    _pushes.c.template_id,
    _pushes.c.status,
    _pushes.c.attempts,
    _pushes.c.updated_at,
    _bindings.c.openid,
    _subscriptions.c.remaining,
    _subscriptions.c.updated_at.label("consent_changed_at"),
)


def claim(
    kind: InboxKind, ref_id: int, round: int, limit: int, now: datetime, *, doubtful: int | None = None
) -> list[Claimed]:
    """Take up to ``limit`` due rows for this job (``sending``), of which at most ``doubtful`` (default
    ``limit``) are members with other than exactly one consent, those first; the caller commits at once.

    A ``resend`` row no longer safe to send again (see the module's docstring) becomes ``uncertain`` instead.
    """
    doubtful = limit if doubtful is None else doubtful
    consent = sa.and_(
        _subscriptions.c.member_id == _pushes.c.member_id,
        _subscriptions.c.template_id == _pushes.c.template_id,
        _subscriptions.c.openid == _bindings.c.openid,
    )
    # Two statements, not UPDATE … WHERE id IN (SELECT … LIMIT … FOR UPDATE SKIP LOCKED): PostgreSQL may
    # run such a subquery more than once within the UPDATE and take more than ``limit`` rows.
    # One status at a time (rows to send again first): with the status fixed, ix_inbox_pushes_batch hands
    # the rows over in id order and the LIMIT stops the scan; with both at once PostgreSQL joined and sorted
    # every waiting row (0.6 s a claim with 55,000 waiting).
    rows: list = []
    for status in (PushStatus.RESEND, PushStatus.PENDING):
        rows += db.session.execute(
            sa.select(*_CLAIM_COLUMNS)
            .select_from(
                _pushes.outerjoin(_bindings, _bindings.c.member_id == _pushes.c.member_id).outerjoin(
                    _subscriptions, consent
                )
            )
            .where(_of(kind, ref_id, round), _due(now), _pushes.c.status == status)
            .order_by(_pushes.c.id)
            .limit(limit - len(rows))
            .with_for_update(of=_pushes, skip_locked=True)  # PostgreSQL: concurrent jobs take disjoint batches
        ).all()
        if len(rows) >= limit:
            break
    taken, doubtful_taken, unsafe = [], 0, []
    for row in rows:
        if row.status == PushStatus.RESEND and not _still_one_consent(row):
            unsafe.append(row.id)
        elif row.remaining == 1 or row.status == PushStatus.RESEND:
            taken.append(row)
        elif doubtful_taken < doubtful:  # the rest stay pending (unlocked at the commit) for the next claim
            doubtful_taken += 1
            taken.append(row)
    if unsafe:
        db.session.execute(
            sa.update(_pushes)
            .where(_pushes.c.id.in_(unsafe), _pushes.c.status == PushStatus.RESEND)
            .values(status=PushStatus.UNCERTAIN, updated_at=now)
        )
    if not taken:
        return []
    claimed_ids = set(
        db.session.scalars(
            sa.update(_pushes)
            .where(_pushes.c.id.in_([row.id for row in taken]), _pushes.c.status.in_(_WAITING))  # SQLite: one writer
            .values(status=PushStatus.SENDING, attempts=_pushes.c.attempts + 1, updated_at=now)
            .returning(_pushes.c.id)
        ).all()
    )
    claimed = [
        Claimed(
            row.id,
            row.member_id,
            row.template_id,
            row.openid,
            row.remaining or 0,
            resend=row.status == PushStatus.RESEND,
        )
        for row in taken
        if row.id in claimed_ids
    ]
    # Members with more than one consent first: the pool calls them at once, so a worker killed now has
    # none of them claimed and not yet called.
    return sorted(claimed, key=lambda push: (push.consent == 1 or push.resend, push.id))


def _still_one_consent(row) -> bool:
    limit = current_app.config["PUSH_MAX_ATTEMPTS"]
    changed = row.consent_changed_at
    return row.remaining == 1 and changed is not None and changed <= row.updated_at and row.attempts < limit


def _answer(error: WeChatError) -> tuple[Outcome, int]:
    if isinstance(error, WeChatUnavailable):
        return (Outcome.UNCERTAIN if error.uncertain else Outcome.BUSY), error.errcode
    if error.errcode == SUBSCRIPTION_REFUSED:
        return Outcome.NO_QUOTA, error.errcode
    if error.errcode in _TOKEN_REFUSED:
        return Outcome.BUSY, error.errcode
    return Outcome.FAILED, error.errcode


class _Sender:
    """Sends one slice on a bounded pool of threads; after a "busy" no new call starts."""

    def __init__(self, message: PushMessage) -> None:
        self.data = subscribe.message_data(message.template, message.values)
        self.page = message.page
        self.busy = False
        self._bulk: dict[str, BulkSubscribe] = {}  # per template: one message body, one token

    def prepare(self, claimed: list[Claimed]) -> None:
        """The message of each template in the slice, built (and the access token taken) once, before the
        threads start. A token that cannot be had makes the whole slice "busy"."""
        for template_id in {push.template_id for push in claimed} - self._bulk.keys():
            try:
                self._bulk[template_id] = BulkSubscribe(get_wechat(), template_id, self.data, page=self.page)
            except WeChatError as error:
                log.warning("push: no access token: %s", error)
                self.busy = True

    def send(self, push: Claimed) -> Result:
        if push.openid is None:
            return Result(push, Outcome.FAILED)  # unbound since: nobody to send to
        if self.busy:
            return Result(push, Outcome.NOT_TRIED)
        try:
            self._bulk[push.template_id].send(push.openid)
        except WeChatError as error:
            outcome, errcode = _answer(error)
            if outcome is Outcome.NO_QUOTA and push.resend:
                return Result(push, Outcome.SENT, errcode)  # the first call was delivered: its quota is spent
            if outcome is Outcome.BUSY:
                self.busy = True
            elif outcome is Outcome.FAILED or outcome is Outcome.UNCERTAIN:
                log.warning("push %s to member %s: %s", push.id, push.member_id, error)
            return Result(push, outcome, errcode)
        return Result(push, Outcome.SENT)

    def close(self) -> None:
        for bulk in self._bulk.values():
            bulk.close()


_CONSENT_GONE = (
    sa.update(_subscriptions)
    .where(_subscriptions.c.member_id == sa.bindparam("m"), _subscriptions.c.template_id == sa.bindparam("t"))
    .values(remaining=0, refused_at=sa.bindparam("now"), updated_at=sa.bindparam("now"))
)


def _count_consent(results: list[Result], now: datetime, resent: set[int]) -> None:
    """Keep our count of each member's consent in step with what WeChat did (server/subscriptions): one UPDATE
    per template for the messages sent. A push to be sent again leaves it as it is: its second call settles it.

    A push in doubt (``uncertain``) leaves it as it is too: our count must never fall below WeChat's, or a
    later push claimed as "one consent" while WeChat still had two could be sent again and arrive twice.
    Counting one too many costs at most a 43101 that then sets the count to zero."""
    used: dict[str, list[tuple[int, str | None]]] = {}
    for r in results:
        if r.outcome is Outcome.SENT and r.push.id not in resent:
            used.setdefault(r.push.template_id, []).append((r.push.member_id, r.push.openid))
    for template_id, members in used.items():
        db.session.execute(
            sa.update(_subscriptions)
            .where(
                _subscriptions.c.template_id == template_id,
                sa.tuple_(_subscriptions.c.member_id, _subscriptions.c.openid).in_(members),
                _subscriptions.c.remaining > 0,
            )
            .values(remaining=_subscriptions.c.remaining - 1, updated_at=now)
        )
    gone = [
        {"m": r.push.member_id, "t": r.push.template_id, "now": now} for r in results if r.outcome is Outcome.NO_QUOTA
    ]
    if gone:
        db.session.execute(_CONSENT_GONE, gone)


def settle(results: list[Result], now: datetime) -> None:
    """Record each claimed row's outcome; rows WeChat certainly did not take go back to ``pending``.

    One UPDATE per outcome and errcode. An outcome may also replace ``uncertain`` or ``resend``: the sweep
    judged the worker dead too early, and here is WeChat's real answer.
    """
    in_doubt = [r.push.id for r in results if r.outcome is Outcome.UNCERTAIN]
    resent = _resend_if_one_consent(sa.and_(_pushes.c.id.in_(in_doubt), _pushes.c.status == PushStatus.SENDING), now)
    final: dict[tuple[PushStatus, int | None], list[int]] = {}
    for result in results:
        if isinstance(result.outcome.value, PushStatus) and result.push.id not in resent:
            final.setdefault((result.outcome.value, result.errcode), []).append(result.push.id)
    open_rows = _pushes.c.status.in_((PushStatus.SENDING, PushStatus.UNCERTAIN, PushStatus.RESEND))
    for (status, errcode), ids in final.items():
        db.session.execute(
            sa.update(_pushes)
            .where(_pushes.c.id.in_(ids), open_rows)
            .values(status=status, errcode=errcode, updated_at=now)
        )
    _give_back([r for r in results if r.outcome is Outcome.BUSY], now, tried=True)
    _give_back([r for r in results if r.outcome is Outcome.NOT_TRIED], now, tried=False)
    _count_consent(results, now, resent)


def _resend_if_one_consent(rows: sa.ColumnElement[bool], now: datetime) -> set[int]:
    """Rows in doubt that may be sent again (the rule in the module's docstring) become ``resend``; their ids."""
    limit = current_app.config["PUSH_MAX_ATTEMPTS"]
    return set(
        db.session.scalars(
            sa.update(_pushes)
            .where(rows, _pushes.c.attempts < limit, _one_consent_unchanged())
            .values(status=PushStatus.RESEND, updated_at=now)
            .returning(_pushes.c.id)
        ).all()
    )


def _give_back(results: list[Result], now: datetime, *, tried: bool) -> None:
    """Back to waiting: ``resend`` for a row being sent again (its first call may still have arrived, so a
    43101 must keep meaning *sent*), else ``pending``; a push WeChat answered "busy" on too many claims is
    given up as ``failed``."""
    for again in (True, False):
        _give_back_as(
            [r for r in results if r.push.resend is again],
            PushStatus.RESEND if again else PushStatus.PENDING,
            now,
            tried,
        )


def _give_back_as(results: list[Result], status: PushStatus, now: datetime, tried: bool) -> None:
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
        values = {"status": status, "errcode": errcode}
    else:
        values = {"status": status, "attempts": _pushes.c.attempts - 1}
    if status is not PushStatus.RESEND:  # its time stays the one the consent must not have changed since
        values["updated_at"] = now
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
    slice_size = max(threads, config["PUSH_CLAIM_SIZE"])
    sender = _Sender(message)
    try:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="push") as pool:
            # A slice holds at most one member with more than one consent per thread: a worker killed now
            # leaves only those calls in doubt (the others are sent again, see the rule above).
            claimed = claim(kind, ref_id, round, min(slice_size, left), now, doubtful=threads)
            db.session.commit()  # claimed before anything is sent: no other job or retry takes these rows
            while claimed:
                sender.prepare(claimed)
                results = list(pool.map(sender.send, claimed))
                settle(results, utcnow())
                counts.update(r.outcome.name.lower() for r in results)
                metrics.count_pushes(r.outcome.name.lower() for r in results)
                left -= len(claimed)
                go_on = left > 0 and not sender.busy
                # the next slice is claimed in the transaction that settles this one
                claimed = claim(kind, ref_id, round, min(slice_size, left), now, doubtful=threads) if go_on else []
                db.session.commit()
    finally:
        sender.close()
    busy = sender.busy
    return BatchReport(counts, more=not busy and has_due(kind, ref_id, round, utcnow()), busy=busy)


# --- the sweep ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stalled:
    kind: InboxKind
    ref_id: int
    round: int


def sweep(now: datetime | None = None) -> tuple[int, list[Stalled]]:
    """Rows left ``sending`` a lease ago are settled as in doubt: ``resend`` under the one-consent rule,
    ``uncertain`` otherwise; pushes with rows to send again, and pushes whose due rows made no progress for a
    lease, are returned to be queued again (the latter marked, so the next sweep waits another lease)."""
    now = now or utcnow()
    stale = now - timedelta(minutes=current_app.config["JOB_LEASE_MINUTES"])
    stalled = _stalled(now, stale)  # before the abandoned rows below change, which is no progress
    left_sending = sa.and_(_pushes.c.status == PushStatus.SENDING, _pushes.c.updated_at < stale)
    resent = _resend_if_one_consent(left_sending, now)
    abandoned = db.session.execute(
        sa.update(_pushes).where(left_sending).values(status=PushStatus.UNCERTAIN, updated_at=now)
    ).rowcount
    if resent:
        groups = db.session.execute(
            sa.select(_pushes.c.kind, _pushes.c.ref_id, _pushes.c.round).where(_pushes.c.id.in_(resent)).distinct()
        ).all()
        known = set(stalled)
        stalled += [s for s in (Stalled(InboxKind(k), r, n) for k, r, n in groups) if s not in known]
        log.warning("%s pushes left sending by a worker that stopped: sent again (one consent each)", len(resent))
    if abandoned:
        log.warning("%s pushes left sending by a worker that stopped: marked uncertain, not sent again", abandoned)
    return abandoned + len(resent), stalled


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
        # The mark is on a pending row: a ``resend`` row's time says when its consent was last checked.
        pending = sa.and_(_of(kind, ref_id, round), _due(now), _pushes.c.status == PushStatus.PENDING)
        first = sa.select(sa.func.min(_pushes.c.id)).where(pending).scalar_subquery()
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
