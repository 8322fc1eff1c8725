"""Writing the audit trail.

Models that set ``__audited__ = True`` are recorded automatically on every flush, so no service can
forget; actions that write no row of their own (an export, a login) call :func:`record`. A model with
a workflow names the step an update is (``audit_step``, see :func:`_step`). Many-to-many lists live
in another table and are invisible to a row's column history, so a model names the ones that
matter in ``__audit_collections__``; they are recorded as sorted ids.

Every entry names the organisation whose subtree may read it (``audit_org_id()`` of the model). It
must come from the row's own columns, or from one lookup by a foreign key (:func:`org_id_of`), never
from a relationship that may or may not have been loaded: an entry without an organisation is seen by
the superadmin only, and vanishes from the secretary's audit page.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import RelationshipDirection, Session, object_session

from server.audit.context import current_actor
from server.audit.models import AuditLog
from server.db import core_execute, db, utcnow


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _plain(values: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else {key: _jsonable(value) for key, value in values.items()}


def _present(obj: Any, key: str, value: Any) -> Any:
    masks: dict[str, Callable[[Any], Any]] = getattr(obj, "__audit_masked__", {})
    if key in masks and value is not None:
        return masks[key](value)
    return _jsonable(value)


def _ids(objs: Any) -> list[Any]:
    return sorted(obj.id for obj in objs)


def _reassigned_keys(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Foreign keys about to change because a relationship was reassigned (``member.org = branch``).

    The unit of work copies the new key into the column only during the flush, after the column
    history has been read, so without this a move between branches would leave no trace.
    """
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for rel in state.mapper.relationships:
        history = state.attrs[rel.key].history
        if rel.direction is not RelationshipDirection.MANYTOONE or not history.has_changes():
            continue
        target = history.added[0] if history.added else None
        for local, remote in rel.local_remote_pairs:
            key = state.mapper.get_property_by_column(local).key
            new = getattr(target, inspect(target).mapper.get_property_by_column(remote).key) if target else None
            if (target is None or new is not None) and new != state.dict.get(key):
                before[key], after[key] = state.dict.get(key), new
    return before, after


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    ignored = getattr(obj, "__audit_ignore__", ())
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key in ignored:
            continue
        history = inspect(obj).attrs[attr.key].history
        if history.has_changes():
            before[attr.key] = _present(obj, attr.key, history.deleted[0] if history.deleted else None)
            after[attr.key] = _present(obj, attr.key, history.added[0] if history.added else None)
    moved_before, moved_after = _reassigned_keys(obj)
    for key in moved_after.keys() - after.keys() - set(ignored):
        before[key], after[key] = moved_before[key], moved_after[key]
    for key in getattr(obj, "__audit_collections__", ()):
        history = inspect(obj).attrs[key].history
        old, new = _ids([*history.unchanged, *history.deleted]), _ids([*history.unchanged, *history.added])
        if old != new:
            before[key], after[key] = old, new
    return before, after


def snapshot(obj: Any) -> dict[str, Any]:
    ignored = getattr(obj, "__audit_ignore__", ())
    values = {
        attr.key: _present(obj, attr.key, getattr(obj, attr.key))
        for attr in inspect(obj).mapper.column_attrs
        if attr.key not in ignored
    }
    values.update({key: _ids(getattr(obj, key)) for key in getattr(obj, "__audit_collections__", ())})
    return values


_INSERT_ENTRY = sa.insert(AuditLog.__table__)


def _entry(
    action: str, entity_type: str, entity_id: int | None, label: str, org_id: int | None, before, after
) -> dict[str, Any]:
    """One audit row, attributed to whoever is acting now."""
    actor = current_actor()
    return {
        "created_at": utcnow(),
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_name": actor.name,
        "ip": actor.ip,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "entity_label": label[:128],
        "org_id": org_id,
        "before": before,
        "after": after,
    }


def org_id_of(obj: Any, column: Any, key: int | None) -> int | None:
    """``column`` (e.g. ``Meeting.organiser_org_id``) of the row whose primary key is ``key``.

    For a model whose organisation sits one foreign key away: one query by primary key, remembered
    for the rest of the flush, whether or not the relationship happens to be loaded.
    """
    if key is None:
        return None
    session = object_session(obj) or db.session()
    memo = session.info.setdefault("audit_org_memo", {})
    memo_key = (column.class_, column.key, key)  # not the attribute itself: its == builds SQL
    if memo_key not in memo:
        primary_key = inspect(column.class_).primary_key[0]
        memo[memo_key] = session.execute(sa.select(column).where(primary_key == key)).scalar()
    return memo[memo_key]


_LATER = object()  # the organisation is read after the flush, once foreign keys are set


def _step(obj: Any) -> str:
    """The verb of an update: "update", or the workflow step the model says this change is.

    A model with a workflow (a newspaper issue: submit, approve, publish…) sets ``obj.audit_step``
    before the flush, so the trail reads "审核通过" rather than "修改"; it is used once.
    """
    return obj.__dict__.pop("audit_step", None) or "update"


def _row(obj: Any, verb: str, before: dict | None, after: dict | None, org_id: Any = _LATER) -> dict[str, Any]:
    entity = obj.__audit_entity__
    label = str(obj.audit_label())
    org_id = obj.audit_org_id() if org_id is _LATER else org_id
    return _entry(f"{entity}.{verb}", entity, getattr(obj, "id", None), label, org_id, before, after)


@event.listens_for(Session, "before_flush")
def _collect_changes(session: Session, flush_context, instances) -> None:
    # Updates and deletions are read before the flush, while the old values are still known; a
    # deleted row's organisation too, while whatever it points at still exists.
    pending = session.info.setdefault("audit_pending", [])
    for obj in session.dirty:
        audited_collections = bool(getattr(obj, "__audit_collections__", ()))
        if getattr(obj, "__audited__", False) and session.is_modified(obj, include_collections=audited_collections):
            before, after = _changes(obj)
            if after:
                pending.append((obj, _step(obj), before, after, _LATER))
    for obj in session.deleted:
        if getattr(obj, "__audited__", False):
            pending.append((obj, "delete", snapshot(obj), None, obj.audit_org_id()))
    session.info.setdefault("audit_new", []).extend(obj for obj in session.new if getattr(obj, "__audited__", False))


@event.listens_for(Session, "after_flush")
def _write_changes(session: Session, flush_context) -> None:
    # New rows are recorded after the flush, once they have their ids.
    rows = [_row(*change) for change in session.info.pop("audit_pending", [])]
    rows += [_row(obj, "create", None, snapshot(obj)) for obj in session.info.pop("audit_new", [])]
    session.info.pop("audit_org_memo", None)
    if rows:
        session.execute(sa.insert(AuditLog), rows)


def record(
    action: str,
    entity_type: str,
    *,
    entity_id: int | None = None,
    label: str = "",
    org_id: int | None = None,
    detail: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
) -> None:
    """Record an action that writes no audited row of its own, such as an export.

    Also used by code that writes an audited table with a Core statement (the check-in hot path, a
    payment's status), which the flush hooks above do not see: it records the change itself, in the same
    transaction, ``before`` and ``detail`` (the values after) as the hooks would.
    """
    entry = _entry(action, entity_type, entity_id, label, org_id, _plain(before), _plain(detail))
    db.session.execute(_INSERT_ENTRY, entry)


def record_insert(model: type, values: dict[str, Any], *, label: str, org_id: int | None) -> None:
    """Audit a row of an audited model that the caller inserted with a Core statement.

    The check-in hot path writes attendance without the unit of work, which the flush hooks watch;
    this writes the same "create" entry they would have.
    """
    entity = model.__audit_entity__
    after = {key: _present(model, key, value) for key, value in values.items()}
    entry = _entry(f"{entity}.create", entity, values.get("id"), label, org_id, None, after)
    core_execute(_INSERT_ENTRY, entry)


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop("audit_pending", None)
    session.info.pop("audit_new", None)
    session.info.pop("audit_org_memo", None)
