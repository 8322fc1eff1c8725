from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db import UTCDateTime, db, utcnow


class AuditLog(db.Model):
    """An append-only record of one write. Never updated, never deleted by the application."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    #: surrogate key, also the order of events
    id: Mapped[int] = mapped_column(primary_key=True)
    #: when the write happened (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: "admin", "member" or "system"
    actor_kind: Mapped[str] = mapped_column(sa.String(16))
    #: admin user or member id of the actor; no foreign key so the trail outlives the account
    actor_id: Mapped[int | None]
    #: display name of the actor at the time
    actor_name: Mapped[str] = mapped_column(sa.String(64))
    #: client address of the request, when there was one
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    #: what happened, "<entity>.<verb>", e.g. "member.update", "member.export"
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: the kind of thing written, e.g. "member", "organisation"
    entity_type: Mapped[str] = mapped_column(sa.String(32))
    #: its id, when it has one
    entity_id: Mapped[int | None]
    #: human label of the thing (a member's name), kept so the trail reads well after deletion
    entity_label: Mapped[str] = mapped_column(sa.String(128), default="")
    #: organisation whose subtree may read this record
    org_id: Mapped[int | None] = mapped_column(index=True)
    #: changed fields before the write (personal data masked)
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    #: changed fields after the write (personal data masked)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
