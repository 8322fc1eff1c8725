"""Flagging letters left unanswered past the time their committee set (server/mailbox/settings.py).

The periodic job (server/mailbox/tasks.py) runs this every quarter of an hour. It reads the letters not
answered and not flagged yet, with the path of their organisation, and flags those older than the reply
time of the nearest organisation above them that set one. Flagging sets ``overdue_at`` once; the queue
shows flagged letters first and highlighted until they are answered. Running it twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from server.audit.context import SYSTEM, acting_as
from server.db import db, utcnow
from server.mailbox import settings
from server.mailbox.models import Letter, LetterStatus
from server.orgs.models import Organisation

#: letters looked at per statement
BATCH = 1000


def _limit_for(path: str, configured: dict[int, int]) -> int:
    for part in reversed(path.strip("/").split("/")):
        if int(part) in configured:
            return configured[int(part)]
    return settings.DEFAULT_REPLY_DAYS


def flag_overdue(now: datetime | None = None) -> list[int]:
    """Flag the unanswered letters past their reply time; the ids flagged."""
    now = now or utcnow()
    configured = settings.all_reply_days()
    shortest = min([*configured.values(), settings.DEFAULT_REPLY_DAYS])
    flagged: list[int] = []
    last_id = 0
    while True:
        rows = db.session.execute(
            sa.select(Letter.id, Letter.received_at, Organisation.path)
            .join(Organisation, Organisation.id == Letter.org_id)
            .where(
                Letter.status != LetterStatus.REPLIED,
                Letter.overdue_at.is_(None),
                Letter.received_at < now - timedelta(days=shortest),
                Letter.id > last_id,
            )
            .order_by(Letter.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last_id = rows[-1].id
        flagged += [r.id for r in rows if r.received_at < now - timedelta(days=_limit_for(r.path or "/", configured))]
    if flagged:
        with acting_as(SYSTEM):
            for letter in db.session.scalars(sa.select(Letter).where(Letter.id.in_(flagged)).order_by(Letter.id)):
                letter.overdue_at = now
                letter.audit_step = "overdue"
            db.session.flush()
    return flagged
