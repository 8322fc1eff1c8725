"""Mailbox figures per organisation: letters received, replied, still open, overdue, and the median time
to reply (in hours), for the organisations of the admin's scope that received letters in a period."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from server.auth.models import AdminUser
from server.auth.scope import in_scope
from server.db import db
from server.mailbox.models import Letter, LetterStatus
from server.orgs.models import Organisation


@dataclass(frozen=True)
class OrgFigures:
    org_id: int
    name: str
    received: int
    replied: int
    overdue: int
    #: median hours from writing to reply over the replied letters; None when none was replied
    median_hours: float | None

    @property
    def open(self) -> int:
        return self.received - self.replied

    @property
    def reply_rate(self) -> float | None:
        return self.replied / self.received if self.received else None


def per_org(admin: AdminUser, since: datetime | None = None) -> list[OrgFigures]:
    """One row per organisation with letters, most letters first."""
    where = [in_scope(Letter.org_id, admin)]
    if since is not None:
        where.append(Letter.received_at >= since)
    rows = db.session.execute(
        sa.select(
            Letter.org_id, Organisation.name, Letter.status, Letter.received_at, Letter.replied_at, Letter.overdue_at
        )
        .join(Organisation, Organisation.id == Letter.org_id)
        .where(*where)
        .order_by(Letter.org_id, Letter.id)
    ).all()
    grouped: dict[int, list] = {}
    names: dict[int, str] = {}
    for row in rows:
        grouped.setdefault(row.org_id, []).append(row)
        names[row.org_id] = row.name
    figures = []
    for org_id, letters in grouped.items():
        replied = [r for r in letters if r.status == LetterStatus.REPLIED]
        hours = [(r.replied_at - r.received_at).total_seconds() / 3600 for r in replied if r.replied_at]
        overdue = sum(1 for r in letters if r.overdue_at is not None and r.status != LetterStatus.REPLIED)
        median = round(statistics.median(hours), 1) if hours else None
        figures.append(OrgFigures(org_id, names[org_id], len(letters), len(replied), overdue, median))
    return sorted(figures, key=lambda f: (-f.received, f.name))


def total(figures: list[OrgFigures]) -> dict[str, int]:
    return {
        "received": sum(f.received for f in figures),
        "replied": sum(f.replied for f in figures),
        "overdue": sum(f.overdue for f in figures),
    }
