"""Quiz jobs: attempts whose time ran out are closed and scored.

The member's phone submits when its timer ends, but a phone switched off, out of signal or simply closed
does not; so every minute the attempts still open past their deadline are closed here, with the answers
saved in time, exactly as a submission would (``scoring.finish``: the same marks, wrong-answer book and
points). A submission racing the job is settled by ``finish``'s guarded claim: one of them scores it.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from huey import crontab

from server.audit.context import SYSTEM, acting_as
from server.db import db, utcnow
from server.quizzes.models import Attempt, AttemptStatus, ClosedBy
from server.quizzes.scoring import finish
from server.tasks import periodic_job

log = logging.getLogger(__name__)
BATCH = 200


def expired_attempts(now: datetime, limit: int = BATCH) -> list[int]:
    """Open attempts past their deadline, oldest first; another worker's batch is skipped (PostgreSQL)."""
    return list(
        db.session.scalars(
            sa.select(Attempt.id)
            .where(Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.deadline_at < now)
            .order_by(Attempt.deadline_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def close_expired(now: datetime | None = None) -> int:
    """Close and score every expired attempt, a batch per transaction; returns how many were closed."""
    now = now or utcnow()
    closed = 0
    with acting_as(SYSTEM):
        while ids := expired_attempts(now):
            closed += sum(finish(attempt_id, ClosedBy.TIMEOUT, now) is not None for attempt_id in ids)
            db.session.commit()
    if closed:
        log.info("closed %d quiz attempts whose time ran out", closed)
    return closed


@periodic_job(crontab(minute="*"), retries=1, retry_delay=30)
def close_expired_attempts() -> int:
    return close_expired()
