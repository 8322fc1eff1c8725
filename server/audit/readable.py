"""The audit trail as a person reads it: every field named, every value in words.

The trail stores what changed as JSON: enum values ("theme_day"), ids of other rows (``org_id`` 7),
booleans, UTC timestamps, amounts in fen. This module turns one page of entries into lines such as
"会议类型：主题党日", "所在组织：综合办公室党支部", "现场核验：否", "金额：¥84.00", with the names of the rows
referred to looked up once per page. What a value means is read from the audited models themselves (the
enum a column holds, the table a foreign key points at), so a new audited model reads well without an
entry here, once its enums have labels.
"""

from __future__ import annotations

import enum
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa

from server.audit import labels
from server.audit.models import AuditLog
from server.db import db
from server.money import money_text
from server.timezone import display_zone

#: what names a row of a table that audit values refer to
NAME_COLUMNS = {
    "organisations": "name",
    "members": "name",
    "admin_users": "display_name",
    "meetings": "title",
    "news_issues": "title",
    "question_banks": "name",
    "dues_payments": "out_trade_no",
    "notices": "title",
}
EMPTY = "（空）"


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None  # None: the entry has no "before" (a creation)
    after: str | None  # None: the entry has no "after" (a deletion)


@dataclass(frozen=True)
class ReadableEntry:
    entry: AuditLog
    action: str
    entity: str
    changes: list[Change]
    #: the object's label with the ids it was written with ("member #12") shown as names
    label: str = ""


#: ids in labels written as "member #12", "meeting #3 member #12", "issue #4 → org #3" or "org #3 → #2"
#: (the second organisation of a remittance), and the table each names a row of
LABEL_IDS = re.compile(r"\b(member|meeting|issue|org) #(\d+)|(?<=→ )()#(\d+)")
LABEL_TABLES = {"member": "members", "meeting": "meetings", "issue": "news_issues", "org": "organisations"}
GONE = {"member": "党员（已删除）", "meeting": "会议（已删除）", "issue": "手机报（已删除）", "org": "组织（已删除）"}


def _label_ids(text: str) -> list[tuple[str, int]]:
    return [(kind or "org", int(row_id or other)) for kind, row_id, _, other in LABEL_IDS.findall(text)]


@dataclass(frozen=True)
class _Meaning:
    """What one field of one audited entity holds."""

    enum_labels: dict[str, str] | None = None
    refers_to: str | None = None  # a table name: the value is an id (or a list of ids) of its rows


def readable(entries: Iterable[AuditLog]) -> list[ReadableEntry]:
    """The entries with their actions, objects and changes in words; names looked up in one query per table."""
    entries = list(entries)
    wanted = _referred_ids(entries)
    for entry in entries:
        for kind, row_id in _label_ids(entry.entity_label or ""):
            wanted.setdefault(LABEL_TABLES[kind], set()).add(row_id)
    names = _names(wanted)
    return [
        ReadableEntry(
            entry,
            labels.ACTIONS.get(entry.action, entry.action),
            labels.ENTITIES.get(entry.entity_type, entry.entity_type),
            _changes(entry, names),
            _label(entry.entity_label or "", names),
        )
        for entry in entries
    ]


def _label(text: str, names: dict[str, dict[int, str]]) -> str:
    """ "meeting #3 member #12" → "主题党日 张三"; an id whose row is gone reads "党员（已删除）"."""

    def name(match: re.Match) -> str:
        kind, row_id = match.group(1) or "org", int(match.group(2) or match.group(4))
        return names.get(LABEL_TABLES[kind], {}).get(row_id) or GONE[kind]

    return LABEL_IDS.sub(name, text)


def field_label(entity: str, key: str) -> str:
    return labels.ENTITY_FIELDS.get(entity, {}).get(key) or labels.FIELDS.get(key) or key


def _changes(entry: AuditLog, names: dict[str, dict[int, str]]) -> list[Change]:
    before, after = entry.before or {}, entry.after or {}
    keys = [key for key in dict.fromkeys([*before, *after]) if key not in labels.NOT_SHOWN]
    if entry.before is None or entry.after is None:  # a creation or a deletion: its empty fields say nothing
        keys = [key for key in keys if (after if entry.before is None else before).get(key) not in (None, "", [])]
    return [
        Change(
            field_label(entry.entity_type, key),
            _text(entry.entity_type, key, before.get(key), names) if entry.before is not None else None,
            _text(entry.entity_type, key, after.get(key), names) if entry.after is not None else None,
        )
        for key in keys
    ]


def _text(entity: str, key: str, value: Any, names: dict[str, dict[int, str]]) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, list):
        return "、".join(_text(entity, key, item, names) for item in value)
    if isinstance(value, dict):
        return "；".join(f"{field_label(entity, k)}：{_text(entity, k, v, names)}" for k, v in value.items())
    if isinstance(value, bool):
        return "是" if value else "否"
    meaning = _meanings().get((entity, key), _Meaning())
    if meaning.refers_to and isinstance(value, int):
        return names.get(meaning.refers_to, {}).get(value) or f"编号 {value}（已删除）"
    if meaning.enum_labels is not None and isinstance(value, str):
        return meaning.enum_labels.get(value, value)
    if key.endswith("_fen") and isinstance(value, int):
        return money_text(value)
    if isinstance(value, str):
        return _moment(value)
    return str(value)


def _moment(value: str) -> str:
    """A UTC timestamp stored as ISO text, in Beijing time; a date as it is; other text unchanged."""
    if len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo:
            return moment.astimezone(display_zone()).strftime("%Y-%m-%d %H:%M")
    if len(value) == 10 and value[4] == "-":
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return value
    return value


def _referred_ids(entries: list[AuditLog]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {}
    meanings = _meanings()
    for entry in entries:
        for values in (entry.before or {}, entry.after or {}):
            for key, value in values.items():
                table = meanings.get((entry.entity_type, key), _Meaning()).refers_to
                if table is None:
                    continue
                ids = value if isinstance(value, list) else [value]
                wanted.setdefault(table, set()).update(i for i in ids if isinstance(i, int))
    return wanted


def _names(wanted: dict[str, set[int]]) -> dict[str, dict[int, str]]:
    names: dict[str, dict[int, str]] = {}
    for table_name, ids in wanted.items():
        table = db.metadata.tables[table_name]
        column = NAME_COLUMNS.get(table_name)
        if column is None or not ids:
            continue
        rows = db.session.execute(sa.select(table.c.id, table.c[column]).where(table.c.id.in_(sorted(ids))))
        names[table_name] = {row_id: name for row_id, name in rows}
    return names


@cache
def _meanings() -> dict[tuple[str, str], _Meaning]:
    """(entity, field) → what it holds, read from every audited model: enum columns, foreign keys, and the
    collections audited as lists of ids."""
    meanings: dict[tuple[str, str], _Meaning] = {}
    for mapper in db.Model.registry.mappers:
        entity = getattr(mapper.class_, "__audit_entity__", None)
        if entity is None:
            continue
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            if isinstance(column.type, sa.Enum) and column.type.enum_class is not None:
                meanings[(entity, attr.key)] = _Meaning(enum_labels=enum_labels(column.type.enum_class))
            elif column.foreign_keys:
                meanings[(entity, attr.key)] = _Meaning(refers_to=next(iter(column.foreign_keys)).column.table.name)
        for key in getattr(mapper.class_, "__audit_collections__", ()):
            target = mapper.relationships[key].mapper.local_table.name
            meanings[(entity, key)] = _Meaning(refers_to=target)
    return meanings


def enum_labels(enum_class: type[enum.Enum]) -> dict[str, str]:
    """The Chinese words for an enum's values: its ``label`` property, or the ``*_LABELS`` dict keyed by it
    that the feature declares (a dict of the same name may be imported elsewhere; any copy will do)."""
    if isinstance(getattr(enum_class, "label", None), property):
        return {member.value: member.label for member in enum_class}
    for name, module in list(sys.modules.items()):
        if not name.startswith("server."):
            continue
        for attribute, value in vars(module).items():
            if (
                attribute.endswith("LABELS")
                and isinstance(value, dict)
                and value
                and all(isinstance(k, enum_class) for k in value)
            ):
                return {member.value: label for member, label in value.items()}
    return {}
