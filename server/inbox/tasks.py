"""Push jobs: each takes one batch of a push and queues the next; a sweep every minute queues again what
was lost (server/inbox/push.py tells the whole story)."""

from __future__ import annotations

import logging
from datetime import datetime

from huey import crontab

from server.db import db, utcnow
from server.inbox import push
from server.inbox.models import InboxKind
from server.tasks import enqueue_after_commit, job, periodic_job

log = logging.getLogger(__name__)


@job(retries=6, retry_delay=30, retry_backoff=2)
def push_batch(kind: str, ref_id: int, round: int) -> dict[str, int]:
    """One batch of a push; queues the next one while due rows remain. Raises ``PushBusy`` (retried after
    30 s, 1, 2, 4… minutes) when WeChat is busy; after the last retry the sweep takes over."""
    report = push.run_batch(InboxKind(kind), ref_id, round)
    if report.busy:
        raise push.PushBusy(f"WeChat busy while pushing {kind} {ref_id} round {round}: {dict(report.counts)}")
    if report.deferred_until is not None:
        push_batch.schedule(args=(kind, ref_id, round), eta=report.deferred_until)
    elif report.more:
        push_batch(kind, ref_id, round)
    return dict(report.counts)


def _queue(kind: str, ref_id: int, round: int, chains: int, eta: datetime | None) -> None:
    for _ in range(chains):
        if eta is None:
            push_batch(kind, ref_id, round)
        else:
            push_batch.schedule(args=(kind, ref_id, round), eta=eta)


def start(kind: InboxKind, ref_id: int, round: int, due: datetime | None) -> None:
    """Queue the push's jobs once the transaction commits: ``PUSH_JOBS`` chains of batches, at ``due`` if set
    (the end of the quiet hours)."""
    from flask import current_app

    enqueue_after_commit(_queue, kind.value, ref_id, round, current_app.config["PUSH_JOBS"], due)


def sweep_pushes(now: datetime | None = None) -> int:
    """Mark abandoned sends uncertain and queue again the pushes whose jobs were lost; how many were queued."""
    _, stalled = push.sweep(now or utcnow())
    for lost in stalled:
        log.warning("push %s %s round %s made no progress: queued again", lost.kind, lost.ref_id, lost.round)
        enqueue_after_commit(push_batch, lost.kind.value, lost.ref_id, lost.round)
    db.session.commit()
    return len(stalled)


@periodic_job(crontab(minute="*"))
def requeue_lost_pushes() -> int:
    return sweep_pushes()
