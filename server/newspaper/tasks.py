"""Newspaper jobs: delivering a published issue, and every minute publishing the scheduled issues whose time
has come and queueing again a delivery whose job was lost."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from huey import crontab

from server.audit.context import SYSTEM, acting_as
from server.db import db, utcnow
from server.newspaper import delivery, workflow
from server.tasks import enqueue_after_commit, job, periodic_job

log = logging.getLogger(__name__)


@job(retries=3, retry_delay=30, retry_backoff=2)
def deliver_issue(issue_id: int) -> dict[str, int]:
    done = delivery.deliver(issue_id)
    return {"inboxes": done.inboxes, "pushes": done.pushes}


def publish_scheduled(now: datetime | None = None) -> list[int]:
    """Publish what is due; queue again the deliveries still unfinished a lease after publishing."""
    now = now or utcnow()
    with acting_as(SYSTEM):
        published = workflow.publish_due(now)
        lease = timedelta(minutes=current_app.config["JOB_LEASE_MINUTES"])
        for issue_id in delivery.undelivered(now - lease):
            log.warning("issue %s published but not delivered a lease later: delivery queued again", issue_id)
            enqueue_after_commit(deliver_issue, issue_id)
        db.session.commit()
    if published:
        log.info("scheduled issues published: %s", published)
    return published


@periodic_job(crontab(minute="*"))
def publish_due_issues() -> list[int]:
    return publish_scheduled()
