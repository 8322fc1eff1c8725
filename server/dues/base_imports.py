"""缴费基数 by Excel: a template listing the members in scope with their current base, filled in and
uploaded back; every row checked, all rows saved or none, each problem named by row and column in Chinese.

Unlike the member register's import this runs inside the request: a base file is one branch's or one
general branch's members (at most MAX_ROWS rows), checked in well under a second. So the upload is held
to MAX_BYTES before it is read (``upload_limit`` and ``read_upload`` in the view) and every byte
unpacked is counted (``spreadsheets.open_upload``). A committee-wide file belongs in a job like the
register's import; not built yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from server.db import db
from server.dues.bases import MAX_BASE_FEN, set_base
from server.dues.models import BaseSource
from server.dues.months import parse_month
from server.errors import AppError
from server.members.excel import cell_text
from server.members.models import Member
from server.orgs.models import Organisation
from server.orgs.services import tree_order, within
from server.spreadsheets import open_upload, set_text, workbook_bytes

SHEET_TITLE = "缴费基数"
MAX_ROWS = 3000
#: A filled-in template of MAX_ROWS rows is about 90 KB. The bound is far below the register import's
#: 5 MB because this file is parsed inside the web request: the costliest file it lets through
#: (distinct strings that barely compress, see bench/upload_bench.py) unpacks to about 4 MB of strings.
MAX_BYTES = 512 * 1024
TOO_LARGE = "缴费基数文件不能超过 512 KB：请只保留模板中的列，或按支部分批导入"
#: (key, title, width, required)
COLUMNS = (
    ("member_id", "党员编号", 10, True),
    ("name", "姓名", 12, True),
    ("branch", "所在支部", 24, False),
    ("month", "生效月份", 12, True),
    ("base_yuan", "月缴费基数（元）", 18, True),
)
TITLES = {key: title for key, title, _, _ in COLUMNS}


def template(scope_path: str, effective_month: date) -> bytes:
    """The members in scope, each with their current base and ``effective_month`` to change."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    for index, (_, title, width, _) in enumerate(COLUMNS, start=1):
        set_text(sheet.cell(row=1, column=index), title)
        sheet.column_dimensions[chr(64 + index)].width = width
    query = (
        sa.select(Member.id, Member.name, Organisation.name, Member.dues_base_fen)
        .join(Organisation, Organisation.id == Member.org_id)
        .order_by(tree_order(), Member.name_sort)
    )
    if scope_path != "/":
        query = query.where(within(scope_path))
    for row_number, (member_id, name, branch, base_fen) in enumerate(db.session.execute(query), start=2):
        sheet.cell(row=row_number, column=1, value=member_id)
        set_text(sheet.cell(row=row_number, column=2), name)
        set_text(sheet.cell(row=row_number, column=3), branch)
        set_text(sheet.cell(row=row_number, column=4), f"{effective_month:%Y-%m}")
        sheet.cell(row=row_number, column=5, value=Decimal(base_fen) / 100)
    check = DataValidation(type="decimal", operator="between", formula1="0", formula2="1000000", allow_blank=False)
    check.error = "月缴费基数应在 0 到 1,000,000 元之间"
    sheet.add_data_validation(check)
    check.add("E2:E5000")
    notes = book.create_sheet("填写说明")
    for line_number, line in enumerate(
        (
            "每行一名党员；党员编号和姓名请勿修改，用于核对。",
            "生效月份格式为 2027-01，表示从该月起按新基数计算党费（已生成的账单不变）。",
            "月缴费基数为税后固定月收入，单位元，最多两位小数。",
            "任何一行有误，整个文件都不会导入；请按提示改正后重新上传。",
        ),
        start=1,
    ):
        set_text(notes.cell(row=line_number, column=1), line)
    return workbook_bytes(book)


@dataclass
class Outcome:
    saved: int
    errors: list[dict[str, Any]]


def _error(row: int, key: str, message: str) -> dict[str, Any]:
    return {"row": row, "column": TITLES.get(key, key), "message": message}


def _yuan_to_fen(value: Any) -> int:
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError("应为金额，如 5200.50") from exc
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("最多两位小数")
    fen = int(amount * 100)
    if not 0 <= fen <= MAX_BASE_FEN:
        raise ValueError("应在 0 到 1,000,000 元之间")
    return fen


def _header(rows) -> dict[str, int]:
    header = [cell_text(cell) for cell in next(rows, ())]
    missing = [title for key, title, _, required in COLUMNS if required and title not in header]
    if missing:
        raise AppError("bad_header", "表头缺少必填列：" + "、".join(missing) + "。请使用下载的模板。")
    return {key: header.index(title) for key, title, _, _ in COLUMNS if title in header}


def import_bases(content: bytes, scope_path: str, set_by_id: int | None) -> Outcome:
    """Check every row, then save them all (or nothing, returning the errors)."""
    book = open_upload(content)
    try:
        sheet = book[SHEET_TITLE] if SHEET_TITLE in book.sheetnames else book.worksheets[0]
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        positions = _header(rows)
        parsed: list[tuple[int, int, str, date, int]] = []
        errors: list[dict[str, Any]] = []
        for number, row in enumerate(rows, start=2):
            values = {key: (row[i] if i < len(row) else None) for key, i in positions.items()}
            if not any(cell_text(value) for value in values.values()):
                continue
            if len(parsed) + len({e["row"] for e in errors}) >= MAX_ROWS:
                raise AppError("too_many_rows", f"一次最多导入 {MAX_ROWS} 行，请按支部分批导入")
            row_errors = []
            try:
                member_id = int(cell_text(values.get("member_id")) or "")
            except ValueError:
                row_errors.append(_error(number, "member_id", "应为模板中的党员编号"))
                member_id = 0
            name = cell_text(values.get("name")) or ""
            try:
                month = parse_month(cell_text(values.get("month")) or "")
            except ValueError:
                row_errors.append(_error(number, "month", "格式应为 2027-01"))
                month = date.min
            try:
                base = values.get("base_yuan")
                if cell_text(base) is None:
                    raise ValueError("此项必填")
                fen = _yuan_to_fen(base)
            except ValueError as exc:
                row_errors.append(_error(number, "base_yuan", str(exc)))
                fen = 0
            errors.extend(row_errors)
            if not row_errors:
                parsed.append((number, member_id, name, month, fen))
    finally:
        book.close()
    members = _members_in_scope([member_id for _, member_id, _, _, _ in parsed], scope_path)
    seen: dict[tuple[int, date], int] = {}
    for number, member_id, name, month, _ in parsed:
        member = members.get(member_id)
        if member is None:
            errors.append(_error(number, "member_id", "没有这个党员，或不在您的管理范围内"))
        elif member.name != name:
            errors.append(_error(number, "name", f"与党员编号 {member_id} 的姓名不符"))
        elif (member_id, month) in seen:
            errors.append(_error(number, "member_id", f"与第 {seen[(member_id, month)]} 行重复"))
        else:
            seen[(member_id, month)] = number
    if not parsed and not errors:
        raise AppError("empty_file", "文件里没有数据：请从模板的第 2 行起填写")
    if errors:
        return Outcome(0, sorted(errors, key=lambda e: e["row"]))
    for _, member_id, _, month, fen in parsed:
        set_base(members[member_id], month, fen, set_by_id=set_by_id, source=BaseSource.IMPORT)
    return Outcome(len(parsed), [])


def _members_in_scope(ids: list[int], scope_path: str) -> dict[int, Member]:
    if not ids:
        return {}
    query = sa.select(Member).join(Organisation, Organisation.id == Member.org_id).where(Member.id.in_(set(ids)))
    if scope_path != "/":
        query = query.where(within(scope_path))
    return {member.id: member for member in db.session.scalars(query)}
