"""The compliance matrix as a workbook: the matrix itself (one row per branch, one column per kind and
period, the cell's state in words), then the detail behind it (one row per branch or party group, kind
and period, with the counts and notes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from server.meetings.compliance_matrix import Matrix
from server.meetings.models import MEETING_KIND_LABELS
from server.spreadsheets import text_cell, workbook_bytes

DETAIL_COLUMNS = (
    ("组织", 30),
    ("会议类型", 24),
    ("周期", 14),
    ("应开", 8),
    ("按时召开", 10),
    ("补录", 8),
    ("情况", 10),
    ("说明", 60),
)


def compliance_workbook(matrix: Matrix) -> bytes:
    book = Workbook(write_only=True)
    _write(
        book, "三会一课", [("支部", 30), *((_heading(column), 14) for column in matrix.columns)], _matrix_rows(matrix)
    )
    _write(book, "明细", DETAIL_COLUMNS, _detail_rows(matrix))
    return workbook_bytes(book)


def _write(book: Workbook, title: str, columns, rows: Iterator[list[Any]]) -> None:
    sheet = book.create_sheet(title)
    for index, (_, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "B2"
    sheet.append([heading for heading, _ in columns])
    for row in rows:
        sheet.append([text_cell(sheet, value) for value in row])


def _heading(column) -> str:
    return f"{MEETING_KIND_LABELS[column.kind]} {column.period.label}"


def _matrix_rows(matrix: Matrix) -> Iterator[list[Any]]:
    for row in matrix.rows:
        yield [row.branch.name, *(cell.state.label if cell else "—" for cell in row.cells)]


def _detail_rows(matrix: Matrix) -> Iterator[list[Any]]:
    for row in matrix.rows:
        for cell in row.cells:
            for requirement in cell.requirements if cell else ():
                group = f"／{requirement.group_name}" if requirement.group_name else ""
                yield [
                    row.branch.name + group,
                    MEETING_KIND_LABELS[requirement.kind],
                    requirement.period,
                    requirement.required,
                    requirement.held,
                    requirement.backfilled,
                    requirement.state.label,
                    requirement.notes_text,
                ]
