"""The register as a spreadsheet: the import template, reading uploaded rows, and exports."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from server.errors import AppError
from server.members.models import (
    DUES_CATEGORY_LABELS,
    EDUCATION_CHOICES,
    GENDER_LABELS,
    STATUS_LABELS,
    Member,
)
from server.members.schemas import fen_to_yuan
from server.spreadsheets import set_text, text_cell, workbook_bytes


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int = 14
    required: bool = False


COLUMNS = (
    Column("name", "姓名", 10, True),
    Column("gender", "性别", 6, True),
    Column("ethnicity", "民族", 8),
    Column("birth_date", "出生日期", 12),
    Column("phone", "手机号", 14),
    Column("id_card", "身份证号", 22),
    Column("education", "学历", 10),
    Column("work_unit", "工作单位", 24),
    Column("position", "职务", 14),
    Column("join_date", "入党日期", 12),
    Column("full_member_date", "转正日期", 12),
    Column("status", "党员状态", 10, True),
    Column("dues_category", "党费类别", 10, True),
    Column("dues_base_yuan", "月缴费基数（元）", 16),
    Column("branch", "所在支部", 24, True),
    Column("group", "党小组", 14),
)
TITLE_OF = {column.key: column.title for column in COLUMNS}
SHEET_TITLE = "党员名册"
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="C00000")


def _sheet_header(sheet, columns: Iterable[Column]) -> None:
    columns = list(columns)
    sheet.append([column.title + ("*" if column.required else "") for column in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        sheet.column_dimensions[cell.column_letter].width = column.width
    sheet.freeze_panes = "A2"


def _list_validation(sheet, letter: str, formula: str) -> None:
    validation = DataValidation(type="list", formula1=formula, allow_blank=True)
    validation.error, validation.errorTitle = "请从下拉列表中选择", "输入有误"
    sheet.add_data_validation(validation)
    validation.add(f"{letter}2:{letter}10001")


def template_workbook(branch_labels: list[str]) -> bytes:
    """The import template, with drop-down lists for the coded columns and the branches in scope."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    _sheet_header(sheet, COLUMNS)
    letters = {column.key: sheet.cell(row=1, column=i).column_letter for i, column in enumerate(COLUMNS, start=1)}
    for key, choices in (
        ("gender", GENDER_LABELS.values()),
        ("status", STATUS_LABELS.values()),
        ("dues_category", DUES_CATEGORY_LABELS.values()),
        ("education", EDUCATION_CHOICES),
    ):
        _list_validation(sheet, letters[key], '"' + ",".join(choices) + '"')
    lists = book.create_sheet("支部列表")
    for row, label in enumerate(branch_labels, start=1):
        set_text(lists.cell(row=row, column=1), label)
    if branch_labels:
        _list_validation(sheet, letters["branch"], f"'支部列表'!$A$1:$A${len(branch_labels)}")
    notes = book.create_sheet("填写说明")
    for line in (
        "带 * 的列必填；日期写成 1985-03-02；手机号和身份证号请设为文本格式，以免被 Excel 改成科学计数法。",
        "党员状态填 正式党员 或 预备党员；正式党员请填写转正日期。",
        "党费类别：" + "、".join(DUES_CATEGORY_LABELS.values()) + "。月缴费基数为税后固定月收入，单位元。",
        "所在支部从下拉列表选择；有同名支部时写成“上级组织/支部名”。",
        "导入时逐行检查：只要有一行有误，整份文件都不会导入，并列出每个错误所在的行和列。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 110
    return workbook_bytes(book)


def cell_text(value: Any) -> str | None:
    """A cell as text: Excel hands back numbers and dates where people typed text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _register_sheet(book):
    return book[SHEET_TITLE] if SHEET_TITLE in book.sheetnames else book.worksheets[0]


def _header_title(value: Any) -> str:
    # "姓名*", "姓名 *" and "姓名＊" (full-width, as Chinese input methods type it) all name the same column.
    return (cell_text(value) or "").rstrip("*＊ ")


def read_rows(book) -> tuple[int | None, Iterator[tuple[int, dict[str, Any]]]]:
    """(number of data rows if the file states it, iterator of (sheet row number, {column key: raw value}))."""
    sheet = _register_sheet(book)
    declared = sheet.max_row  # from the file's <dimension> tag: missing or wrong in files from some programs
    # In read-only mode openpyxl stops at the declared size; forget it so that no row is silently dropped.
    sheet.reset_dimensions()
    rows = sheet.iter_rows(values_only=True)
    header = [_header_title(cell) for cell in next(rows, ())]
    missing = [column.title for column in COLUMNS if column.required and column.title not in header]
    if missing:
        raise AppError("bad_header", "表头缺少必填列：" + "、".join(missing) + "。请使用下载的模板。")
    positions = {column.key: header.index(column.title) for column in COLUMNS if column.title in header}

    def iterate() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, row in enumerate(rows, start=2):
            values = {key: row[index] if index < len(row) else None for key, index in positions.items()}
            if any(cell_text(value) for value in values.values()):
                yield number, values

    return (max(declared - 1, 0) if declared else None), iterate()


def count_rows(book) -> int:
    """Data rows below the header, when the stated size is missing or implausible (one extra pass)."""
    sheet = _register_sheet(book)
    sheet.reset_dimensions()
    return sum(1 for row in sheet.iter_rows(min_row=2, values_only=True) if any(cell_text(value) for value in row))


EXPORT_COLUMNS = (
    *COLUMNS[:-2],
    Column("branch", "所在支部", 24),
    Column("group", "党小组", 14),
    Column("bound", "已绑定微信", 10),
)


def _export_row(member: Member, reveal: bool, bound: bool) -> list[Any]:
    return [
        member.name,
        GENDER_LABELS[member.gender],
        member.ethnicity,
        member.birth_date,
        (member.phone if reveal else member.masked_phone) or "",
        (member.id_card if reveal else member.masked_id_card) or "",
        member.education or "",
        member.work_unit or "",
        member.position or "",
        member.join_date,
        member.full_member_date,
        STATUS_LABELS[member.status],
        DUES_CATEGORY_LABELS[member.dues_category],
        Decimal(fen_to_yuan(member.dues_base_fen)),  # a number, so that the secretary can sum the column
        member.org.name,
        member.group.name if member.group else "",
        "是" if bound else "否",
    ]


def export_workbook(members: Iterable[Member], bound_ids: set[int], reveal: bool = False) -> bytes:
    """The filtered register as a workbook; phone and ID numbers masked unless ``reveal``."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_TITLE)
    for index, column in enumerate(EXPORT_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.append([column.title for column in EXPORT_COLUMNS])
    for member in members:
        sheet.append([text_cell(sheet, value) for value in _export_row(member, reveal, member.id in bound_ids)])
    return workbook_bytes(book)
