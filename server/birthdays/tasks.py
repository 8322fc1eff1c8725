"""The political birthday job: greet today's birthdays (Asia/Shanghai date) and deliver the greetings.

Declared hourly though it greets once a day: the first run after local midnight greets the day's
members, and the 23 later runs find nothing new (the unique key), yet a worker that was down at midnight
still greets on the same day, and a delivery left unfinished is resumed within the hour.
"""

from __future__ import annotations

import logging
from datetime import datetime

from huey import crontab

from server.birthdays import delivery, services
from server.db import db, utcnow
from server.tasks import periodic_job
from server.timezone import local_date

log = logging.getLogger(__name__)


def run(now: datetime | None = None) -> tuple[int, int]:
    """Greet the members whose political birthday is today (local), then deliver what is undelivered."""
    now = now or utcnow()
    greeted = services.greet(local_date(now), now)
    db.session.commit()
    delivered = delivery.deliver_pending(now)
    if greeted or delivered:
        log.info("political birthdays: %s greeted, %s delivered", greeted, delivered)
    return greeted, delivered


@periodic_job(crontab(minute="3"))
def greet_political_birthdays() -> list[int]:
    return list(run())
