"""Importing the register from Excel: every row checked, errors listed per row and column, all or none."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError

from server.audit.models import AuditLog
from server.audit.services import snapshot
from server.audit.context import current_actor
from server.db import db, utcnow
from server.errors import AppError
from server.http import translate
from server.members.excel import COLUMNS, TITLE_OF, cell_text, open_workbook, read_rows
from server.members.models import (
    DUES_CATEGORY_LABELS,
    GENDER_LABELS,
    STATUS_LABELS,
    ImportStatus,
    Member,
    MemberImport,
)
from server.members.schemas import MemberInputSchema, clean_member_data
from server.members.services import sort_key
from server.orgs.models import Organisation, OrgKind

PROGRESS_EVERY = 500
MAX_ROWS = 20000
MAX_LISTED_ERRORS = 1000
_REVERSE = {
    "gender": {label: value.value for value, label in GENDER_LABELS.items()},
    "status": {label: value.value for value, label in STATUS_LABELS.items()},
    "dues_category": {label: value.value for value, label in DUES_CATEGORY_LABELS.items()},
}
_DATE_KEYS = ("birth_date", "join_date", "full_member_date")
_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


class BranchDirectory:
    """Branches and groups in the importer's scope, found by name or by "上级/支部名"."""

    def __init__(self, scope_path: str) -> None:
        orgs = db.session.scalars(
            sa.select(Organisation).where(Organisation.path.startswith(scope_path), Organisation.dissolved_at.is_(None))
        ).all()
        by_id = {org.id: org for org in orgs}
        self.branches: dict[str, list[Organisation]] = defaultdict(list)
        self.groups: dict[tuple[int, str], Organisation] = {}
        for org in orgs:
            if org.kind is OrgKind.BRANCH:
                self.branches[org.name].append(org)
                parent = by_id.get(org.parent_id)  # type: ignore[arg-type]
                if parent:
                    self.branches[f"{parent.name}/{org.name}"].append(org)
            elif org.kind is OrgKind.GROUP and org.parent_id is not None:
                self.groups[(org.parent_id, org.name)] = org

    def labels(self) -> list[str]:
        """One unambiguous label per branch, for the template's drop-down."""
        return sorted(
            name for name, orgs in self.branches.items() if len(orgs) == 1 and ("/" in name) == self._clashes(orgs[0])
        )

    def _clashes(self, org: Organisation) -> bool:
        return len(self.branches[org.name]) > 1

    def branch(self, label: str) -> Organisation:
        found = self.branches.get(label.replace("／", "/").strip(), [])
        if not found:
            raise ValidationError("没有这个支部，或不在您管理的范围内")
        if len(found) > 1:
            raise ValidationError("有多个同名支部，请写成“上级组织/支部名”")
        return found[0]

    def group(self, branch: Organisation, name: str) -> Organisation:
        group = self.groups.get((branch.id, name.strip()))
        if group is None:
            raise ValidationError("该支部下没有这个党小组")
        return group


def _parse_date(text: str) -> str:
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValidationError("日期格式应为 1985-03-02")


def _row_to_input(raw: dict[str, Any], directory: BranchDirectory) -> dict[str, Any]:
    """Spreadsheet cells → the same input the admin form sends; raises per-column errors."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}
    for column in COLUMNS:
        value = raw.get(column.key)
        if isinstance(value, float) and column.key in ("phone", "id_card") and value > 1e15:
            errors[column.key] = ["号码被 Excel 改成了科学计数法，请把该列设为文本格式后重新填写"]
            continue
        text = cell_text(value)
        try:
            if column.key in _REVERSE and text is not None:
                if text not in _REVERSE[column.key]:
                    raise ValidationError("应为：" + "、".join(_REVERSE[column.key]))
                text = _REVERSE[column.key][text]
            if column.key in _DATE_KEYS and text is not None and not isinstance(value, date):
                text = _parse_date(text)
            data[column.key] = text
        except ValidationError as exc:
            errors[column.key] = exc.messages  # type: ignore[assignment]
    branch_label, group_name = data.pop("branch", None), data.pop("group", None)
    if branch_label is None:
        errors.setdefault("branch", ["此项必填"])
    elif "branch" not in errors:
        try:
            branch = directory.branch(branch_label)
            data["org_id"] = branch.id
            if group_name:
                data["group_id"] = directory.group(branch, group_name).id
        except ValidationError as exc:
            errors["group" if branch_label and "org_id" in data else "branch"] = exc.messages  # type: ignore[assignment]
    if data.get("ethnicity") is None:
        data.pop("ethnicity", None)
    if data.get("dues_base_yuan") is None:
        data.pop("dues_base_yuan", None)
    try:
        loaded = MemberInputSchema().load(data)
    except ValidationError as exc:
        for key, messages in translate(exc.messages).items():
            errors.setdefault({"org_id": "branch", "group_id": "group"}.get(key, key), messages)
        loaded = None
    if errors:
        raise ValidationError(errors)
    return clean_member_data(loaded)  # type: ignore[arg-type]


def _error_rows(row_number: int, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [
        {"row": row_number, "column": TITLE_OF.get(key, key), "message": "；".join(map(str, messages))}
        for key, messages in errors.items()
    ]


def start_import(filename: str, content: bytes, scope_org: Organisation | None, created_by_id: int | None) -> MemberImport:
    """Check that the upload is a workbook and queue it; the rows are checked by the job."""
    book = open_workbook(content)
    try:
        read_rows(book)  # header problems are reported at once, not after a queue wait
    finally:
        book.close()
    job = MemberImport(
        filename=filename[:200], content=content, scope_org_id=scope_org.id if scope_org else None, created_by_id=created_by_id
    )
    db.session.add(job)
    db.session.flush()
    return job


def _save_progress(job: MemberImport, **values: Any) -> None:
    for key, value in values.items():
        setattr(job, key, value)
    db.session.commit()


def validate_rows(job: MemberImport) -> list[dict[str, Any]] | None:
    """Check every row; return the members to create, or None after recording the errors."""
    scope_org = db.session.get(Organisation, job.scope_org_id) if job.scope_org_id else None
    directory = BranchDirectory(scope_org.path if scope_org else "/")  # type: ignore[arg-type]
    book = open_workbook(job.content or b"")
    try:
        total, rows = read_rows(book)
        if total > MAX_ROWS:
            raise AppError("too_many_rows", f"一次最多导入 {MAX_ROWS} 行，请分批导入")
        _save_progress(job, status=ImportStatus.VALIDATING, total_rows=total)
        members, errors, seen_id_cards = [], [], {}
        for count, (number, raw) in enumerate(rows, start=1):
            try:
                member = _row_to_input(raw, directory)
                if member.get("id_card") and (first := seen_id_cards.setdefault(member["id_card"], number)) != number:
                    raise ValidationError({"id_card": [f"与第 {first} 行的身份证号重复"]})
                members.append((number, member))
            except ValidationError as exc:
                errors.extend(_error_rows(number, exc.messages))  # type: ignore[arg-type]
            if count % PROGRESS_EVERY == 0:
                _save_progress(job, processed_rows=min(count, total))
    finally:
        book.close()
    errors.extend(_existing_id_cards(members))
    if not members and not errors:
        errors.append({"row": None, "column": "", "message": "文件里没有党员数据"})
    if errors:
        errors.sort(key=lambda error: (error["row"] or 0))
        _finish(job, ImportStatus.FAILED, errors=errors[:MAX_LISTED_ERRORS], processed_rows=job.total_rows)
        return None
    return [member for _, member in members]


def _existing_id_cards(members: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    by_card = {member["id_card"]: number for number, member in members if member.get("id_card")}
    cards = list(by_card)
    existing: set[str] = set()
    for start in range(0, len(cards), 900):
        existing.update(db.session.scalars(sa.select(Member.id_card).where(Member.id_card.in_(cards[start : start + 900]))))
    return [{"row": by_card[card], "column": "身份证号", "message": "该身份证号已登记在册"} for card in existing]


def insert_members(job: MemberImport, rows: list[dict[str, Any]]) -> None:
    """Create every member in one transaction, with one audit record each."""
    _save_progress(job, status=ImportStatus.IMPORTING, processed_rows=job.total_rows)
    for row in rows:
        row["name_sort"] = sort_key(row["name"])
        row.setdefault("ethnicity", "汉族")
    ids = db.session.scalars(sa.insert(Member).returning(Member.id, sort_by_parameter_order=True), rows).all()
    actor, now = current_actor(), utcnow()
    audit_rows = [
        {
            "created_at": now,
            "actor_kind": actor.kind,
            "actor_id": actor.id,
            "actor_name": actor.name,
            "ip": actor.ip,
            "action": "member.create",
            "entity_type": "member",
            "entity_id": member_id,
            "entity_label": row["name"],
            "org_id": row["org_id"],
            "before": None,
            "after": snapshot(Member(id=member_id, **row)) | {"import_id": job.id},
        }
        for member_id, row in zip(ids, rows, strict=True)
    ]
    db.session.execute(sa.insert(AuditLog), audit_rows)
    _finish(job, ImportStatus.DONE, created_count=len(ids))


def _finish(job: MemberImport, status: ImportStatus, **values: Any) -> None:
    _save_progress(job, status=status, finished_at=utcnow(), **values)


def fail(job_id: int, message: str) -> None:
    db.session.rollback()
    job = db.session.get(MemberImport, job_id)
    if job is not None:
        _finish(job, ImportStatus.FAILED, message=message[:500])
