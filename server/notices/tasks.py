"""Notice jobs: delivering a sent notice, and every minute sending the scheduled notices whose time has come
and queueing again a delivery whose job was lost. The pushes themselves are the inbox's jobs."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from huey import crontab

from server.audit.context import SYSTEM, acting_as
from server.db import db, utcnow
from server.notices import delivery, services
from server.tasks import enqueue_after_commit, job, periodic_job

log = logging.getLogger(__name__)


@job(retries=3, retry_delay=30, retry_backoff=2)
def deliver_notice(notice_id: int) -> dict[str, int]:
    done = delivery.deliver(notice_id)
    return {"inboxes": done.inboxes, "pushes": done.pushes}


def send_scheduled(now: datetime | None = None) -> list[int]:
    """Send what is due; queue again the deliveries still unfinished a lease after sending."""
    now = now or utcnow()
    with acting_as(SYSTEM):
        sent = services.send_due(now)
        lease = timedelta(minutes=current_app.config["JOB_LEASE_MINUTES"])
        for notice_id in services.undelivered(now - lease):
            log.warning("notice %s sent but not delivered a lease later: delivery queued again", notice_id)
            enqueue_after_commit(deliver_notice, notice_id)
        db.session.commit()
    if sent:
        log.info("scheduled notices sent: %s", sent)
    return sent


@periodic_job(crontab(minute="*"))
def send_due_notices() -> list[int]:
    return send_scheduled()
