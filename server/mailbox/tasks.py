"""Mailbox jobs: every quarter of an hour, flag the letters left unanswered past their committee's time.
Importing this module also registers the reply's inbox source."""

from __future__ import annotations

import logging
from datetime import datetime

from huey import crontab

from server.db import db
from server.mailbox import delivery as _delivery  # noqa: F401  (registers InboxKind.LETTER with the inbox)
from server.mailbox import overdue
from server.tasks import periodic_job

log = logging.getLogger(__name__)


def flag_overdue_letters(now: datetime | None = None) -> list[int]:
    flagged = overdue.flag_overdue(now)
    db.session.commit()
    if flagged:
        log.info("letters flagged as unanswered past their reply time: %s", flagged)
    return flagged


@periodic_job(crontab(minute="*/15"))
def flag_unanswered_letters() -> list[int]:
    return flag_overdue_letters()
