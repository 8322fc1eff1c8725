"""Importing the register from Excel: every row checked, errors listed per row and column, all or none."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from marshmallow import ValidationError

from server.audit.context import current_actor
from server.audit.models import AuditLog
from server.audit.services import snapshot
from server.db import db, utcnow
from server.errors import AppError
from server.http import translate
from server.members.excel import COLUMNS, TITLE_OF, cell_text, count_rows, read_rows
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
from server.orgs.services import within
from server.spreadsheets import check_upload, open_upload

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
_NUMBER_KEYS = ("phone", "id_card")
_SCIENTIFIC = re.compile(r"\d+(\.\d+)?[eE]\+?\d+")
_MANGLED = "号码被 Excel 改成了科学计数法，请把该列设为文本格式后重新填写"


class BranchDirectory:
    """Branches and groups in the importer's scope, found by name or by "上级/支部名".

    It holds plain rows, not ORM objects: the import commits its progress every few hundred rows, and
    each commit would expire ORM objects and cost one SELECT per organisation used afterwards.
    """

    def __init__(self, scope_path: str) -> None:
        orgs = db.session.execute(
            sa.select(Organisation.id, Organisation.name, Organisation.kind, Organisation.parent_id).where(
                within(scope_path), Organisation.dissolved_at.is_(None)
            )
        ).all()
        names = {org.id: org.name for org in orgs}
        self._branch_rows = [org for org in orgs if org.kind is OrgKind.BRANCH]
        self.branches: dict[str, list[sa.Row]] = defaultdict(list)
        self.groups: dict[tuple[int, str], sa.Row] = {}
        self._qualified: dict[int, str] = {}
        for org in orgs:
            if org.kind is OrgKind.BRANCH:
                self.branches[org.name].append(org)
                if org.parent_id in names:
                    self._qualified[org.id] = f"{names[org.parent_id]}/{org.name}"
                    self.branches[self._qualified[org.id]].append(org)
            elif org.kind is OrgKind.GROUP and org.parent_id is not None:
                self.groups[(org.parent_id, org.name)] = org

    def labels(self) -> list[str]:
        """One unambiguous label per branch, for the template's drop-down: its name, or "上级/名" if shared."""
        labels = []
        for org in self._branch_rows:
            label = org.name if len(self.branches[org.name]) == 1 else self._qualified.get(org.id, org.name)
            if len(self.branches.get(label, ())) == 1:  # still ambiguous: typed by hand as "上级/名" is no help
                labels.append(label)
        return sorted(labels)

    def branch(self, label: str) -> sa.Row:
        label = label.strip()
        # Full-width "／" is what Chinese input methods type; a branch's own name may contain either slash.
        found = self.branches.get(label) or self.branches.get(label.replace("／", "/"), [])
        if not found:
            raise ValidationError("没有这个支部，或不在您管理的范围内")
        if len(found) > 1:
            raise ValidationError("有多个同名支部，请写成“上级组织/支部名”")
        return found[0]

    def group(self, branch: sa.Row, name: str) -> sa.Row:
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


def _cell_input(key: str, value: Any) -> str | None:
    """One cell as the text the admin form would send for it; raises ValidationError."""
    text = cell_text(value)
    if key in _NUMBER_KEYS and (isinstance(value, float) or (text and _SCIENTIFIC.fullmatch(text))):
        # A number typed in a plain cell comes back as an int; a float or "1.38123E+10" means Excel
        # showed it in scientific notation, and digits past the 15th (or past the shown ones) are gone.
        raise ValidationError(_MANGLED)
    if key in _REVERSE and text is not None:
        if text not in _REVERSE[key]:
            raise ValidationError("应为：" + "、".join(_REVERSE[key]))
        return _REVERSE[key][text]
    if key in _DATE_KEYS and text is not None and not isinstance(value, date):
        return _parse_date(text)
    return text


def _row_to_input(raw: dict[str, Any], directory: BranchDirectory, schema: MemberInputSchema) -> dict[str, Any]:
    """Spreadsheet cells → the same input the admin form sends; raises per-column errors."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}
    for column in COLUMNS:
        try:
            data[column.key] = _cell_input(column.key, raw.get(column.key))
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
        loaded = schema.load(data)
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


class LeaseLost(Exception):
    """Another worker has taken this import over (this one's lease had run out): this one must stop."""


def _lease() -> timedelta:
    return timedelta(minutes=current_app.config["JOB_LEASE_MINUTES"])


def start_import(
    filename: str, content: bytes, scope_org: Organisation | None, created_by_id: int | None
) -> MemberImport:
    """Store an upload whose archive looks like a workbook, and queue it.

    Only the zip's directory is read here (:func:`check_upload`): a file that unpacks to hundreds of MB
    is refused at once, and nothing is parsed inside the web request. The job opens the workbook.
    """
    check_upload(content)
    job = MemberImport(
        filename=filename[:200],
        content=content,
        scope_org_id=scope_org.id if scope_org else None,
        created_by_id=created_by_id,
        lease_until=utcnow() + _lease(),  # not taken by then: presumed lost by the queue, and queued again
    )
    db.session.add(job)
    db.session.flush()
    return job


def claim(job_id: int) -> MemberImport | None:
    """Take a queued import for this worker; None if it is unknown, running elsewhere or finished.

    One conditional UPDATE rather than read-then-write: two deliveries of the same job (a retry, a
    duplicate on Redis) running at the same time cannot both see "queued" and import twice. Each
    taking is a new attempt, and only the latest attempt may write: a worker presumed dead, whose
    import was queued again and taken by another, cannot finish it as well.
    """
    attempt = db.session.execute(
        sa.update(MemberImport)
        .where(MemberImport.id == job_id, MemberImport.status == ImportStatus.QUEUED)
        .values(status=ImportStatus.VALIDATING, attempt=MemberImport.attempt + 1, lease_until=utcnow() + _lease())
        .returning(MemberImport.attempt),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    db.session.commit()
    if attempt is None:
        return None
    job = db.session.get(MemberImport, job_id)
    sa.inspect(job).info["attempt"] = attempt  # kept beside the row: the row's own number may move on
    return job


def release_stalled(now: datetime) -> list[int]:
    """Put back in the queue the unfinished imports whose lease ran out; their ids, for the sweep.

    Such an import was never taken from the queue (its job was lost on the way to a worker), or its
    worker stopped saving progress (killed, or its machine died) and never committed its members.
    """
    unfinished = (ImportStatus.QUEUED, ImportStatus.VALIDATING, ImportStatus.IMPORTING)
    released = db.session.execute(
        sa.update(MemberImport)
        .where(
            MemberImport.status.in_(unfinished),
            sa.or_(MemberImport.lease_until.is_(None), MemberImport.lease_until < now),
        )
        .values(status=ImportStatus.QUEUED, lease_until=now + _lease())
        .returning(MemberImport.id),
        execution_options={"synchronize_session": False},
    )
    return sorted(released.scalars())


def _save_progress(job: MemberImport, **values: Any) -> None:
    """Save and commit, renewing the lease, if this worker still holds the import; else LeaseLost."""
    saved = db.session.execute(
        sa.update(MemberImport)
        .where(MemberImport.id == job.id, MemberImport.attempt == sa.inspect(job).info["attempt"])
        .values(lease_until=utcnow() + _lease(), **values)
    )
    if saved.rowcount != 1:
        db.session.rollback()  # and with it every member this attempt inserted
        raise LeaseLost(job.id)
    db.session.commit()


def _too_many_rows() -> AppError:
    return AppError("too_many_rows", f"一次最多导入 {MAX_ROWS} 行，请分批导入")


def _data_row_count(book, declared: int | None) -> int:
    if declared is None or declared > MAX_ROWS:
        # Unstated, or inflated by empty rows someone formatted (e.g. "set the column to text"): count them.
        declared = count_rows(book)
    if declared > MAX_ROWS:
        raise _too_many_rows()
    return declared


def validate_rows(job: MemberImport) -> list[dict[str, Any]] | None:
    """Check every row; return the members to create, or None after recording the errors."""
    scope_org = db.session.get(Organisation, job.scope_org_id) if job.scope_org_id else None
    directory = BranchDirectory(scope_org.path if scope_org else "/")  # type: ignore[arg-type]
    book = open_upload(job.content or b"")  # header problems and anything unpacked past the bounds fail the job
    try:
        declared, rows = read_rows(book)
        _save_progress(job, status=ImportStatus.VALIDATING, total_rows=_data_row_count(book, declared))
        members, errors = _check_rows(job, rows, directory)
    finally:
        book.close()
    errors.extend(_existing_id_cards(members))
    if not members and not errors:
        _finish(job, ImportStatus.FAILED, message="文件里没有党员数据：请从模板的第 2 行起，每行填写一名党员")
        return None
    if errors:
        _fail_with_errors(job, errors)
        return None
    return [member for _, member in members]


def _check_rows(
    job: MemberImport, rows: Iterator[tuple[int, dict[str, Any]]], directory: BranchDirectory
) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    """(valid rows with their row numbers, errors), saving progress every PROGRESS_EVERY rows."""
    schema = MemberInputSchema()  # built once: building it per row costs more than loading a row
    members: list[tuple[int, dict[str, Any]]] = []
    errors: list[dict[str, Any]] = []
    seen_id_cards: dict[str, int] = {}
    count = 0
    for count, (number, raw) in enumerate(rows, start=1):
        if count > MAX_ROWS:  # the stated size can be wrong: never read an unbounded sheet into memory
            raise _too_many_rows()
        try:
            member = _row_to_input(raw, directory, schema)
            _check_unique_in_file(member, number, seen_id_cards)
            members.append((number, member))
        except ValidationError as exc:
            errors.extend(_error_rows(number, exc.messages))  # type: ignore[arg-type]
        if count % PROGRESS_EVERY == 0:
            _save_progress(job, processed_rows=count, total_rows=max(job.total_rows, count))
    job.total_rows = max(job.total_rows, count)  # a file that under-stated its size
    return members, errors


def _check_unique_in_file(member: dict[str, Any], number: int, seen_id_cards: dict[str, int]) -> None:
    if member.get("id_card") and (first := seen_id_cards.setdefault(member["id_card"], number)) != number:
        raise ValidationError({"id_card": [f"与第 {first} 行的身份证号重复"]})


def _fail_with_errors(job: MemberImport, errors: list[dict[str, Any]]) -> None:
    # Row by row, and within a row in the sheet's column order, as the secretary reads the sheet.
    order = {column.title: index for index, column in enumerate(COLUMNS)}
    errors.sort(key=lambda error: (error["row"] or 0, order.get(error["column"], len(order))))
    message = None
    if len(errors) > MAX_LISTED_ERRORS:  # say so, or the secretary fixes the listed ones and fails again
        message = f"发现 {len(errors)} 处错误，整份文件未导入；下面列出前 {MAX_LISTED_ERRORS} 处，请修改后重新上传："
    _finish(job, ImportStatus.FAILED, errors=errors[:MAX_LISTED_ERRORS], message=message, processed_rows=job.total_rows)


def _existing_id_cards(members: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    by_card = {member["id_card"]: number for number, member in members if member.get("id_card")}
    cards = list(by_card)
    existing: set[str] = set()
    for start in range(0, len(cards), 900):
        existing.update(
            db.session.scalars(sa.select(Member.id_card).where(Member.id_card.in_(cards[start : start + 900])))
        )
    return [{"row": by_card[card], "column": "身份证号", "message": "该身份证号已登记在册"} for card in existing]


def insert_members(job: MemberImport, rows: list[dict[str, Any]]) -> None:
    """Create every member in one transaction, with one audit record each."""
    _save_progress(job, status=ImportStatus.IMPORTING, processed_rows=job.total_rows)
    actor, now = current_actor(), utcnow()
    for row in rows:
        # Times set here, not by column defaults, so that the audit snapshot below shows them too.
        row.update(name_sort=sort_key(row["name"]), created_at=now, updated_at=now)
        row.setdefault("ethnicity", "汉族")
    # render_nulls: the ORM otherwise leaves out None values, so rows with different empty cells get
    # different column lists and are sent in hundreds of small batches instead of a few of 1,000.
    insert = sa.insert(Member).returning(Member.id, sort_by_parameter_order=True).execution_options(render_nulls=True)
    ids = db.session.scalars(insert, rows).all()
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
    # The uploaded workbook holds every full ID-card and phone number: keep it no longer than the job.
    _save_progress(job, status=status, finished_at=utcnow(), content=None, **values)


def fail(job: MemberImport, message: str) -> None:
    """Record a failure that is not about one row; nothing this attempt wrote is kept."""
    db.session.rollback()
    _finish(job, ImportStatus.FAILED, message=message[:500])
