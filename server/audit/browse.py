"""Reading the trail: the entries an admin may see, narrowed by who acted, on what kind of object, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from server.audit import labels
from server.audit.models import AuditLog
from server.auth.models import AdminUser
from server.auth.scope import in_scope
from server.db import db
from server.timezone import display_zone


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""  # part of the actor's name as recorded (管理员、党员、微信支付、系统任务)
    entity: str = ""  # a key of labels.ENTITIES
    since: date | None = None  # Beijing dates, both included
    until: date | None = None

    @classmethod
    def from_args(cls, args) -> AuditFilter:
        """From the page's query string; what cannot be read is left out (the form shows it empty)."""
        entity = args.get("entity", "")
        return cls(
            actor=args.get("actor", "").strip()[:64],
            entity=entity if entity in labels.ENTITIES else "",
            since=_day(args.get("since")),
            until=_day(args.get("until")),
        )

    def args(self) -> dict[str, str]:
        """The filter as query-string arguments, for the pager and the export link."""
        found = {"actor": self.actor, "entity": self.entity, "since": _iso(self.since), "until": _iso(self.until)}
        return {key: value for key, value in found.items() if value}

    def where(self, admin: AdminUser) -> list[sa.ColumnElement[bool]]:
        clauses = [in_scope(AuditLog.org_id, admin)]
        if self.actor:
            escaped = self.actor.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append(AuditLog.actor_name.like(f"%{escaped}%", escape="\\"))
        if self.entity:
            clauses.append(AuditLog.entity_type == self.entity)
        if self.since:
            clauses.append(AuditLog.created_at >= _start_of(self.since))
        if self.until:
            clauses.append(AuditLog.created_at < _start_of(self.until + timedelta(days=1)))
        return clauses


def page(flt: AuditFilter, admin: AdminUser, number: int, per_page: int) -> list[AuditLog]:
    query = sa.select(AuditLog).where(*flt.where(admin)).order_by(AuditLog.id.desc())
    return list(db.session.scalars(query.limit(per_page).offset((number - 1) * per_page)))


def newest(flt: AuditFilter, admin: AdminUser, limit: int) -> list[AuditLog]:
    """The newest ``limit`` entries the filter finds, for the export."""
    return page(flt, admin, 1, limit)


def count(flt: AuditFilter, admin: AdminUser) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(*flt.where(admin))) or 0


def entity_choices() -> list[tuple[str, str]]:
    return sorted(labels.ENTITIES.items(), key=lambda item: item[1])


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, display_zone())


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""
