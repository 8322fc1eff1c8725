"""The trail as a workbook: one row per entry, its changes one per line, as the page shows them."""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from server.audit.readable import Change, ReadableEntry
from server.spreadsheets import text_cell, workbook_bytes
from server.timezone import to_local

COLUMNS = [("时间（北京时间）", 18), ("操作人", 16), ("IP 地址", 16), ("操作", 20), ("对象类别", 14), ("对象", 24)]
COLUMNS += [("修改前", 50), ("修改后 / 内容", 50)]


def workbook(entries: Iterable[ReadableEntry]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("操作日志")
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([title for title, _ in COLUMNS])
    for item in entries:
        entry = item.entry
        values = [
            to_local(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            entry.actor_name,
            entry.ip or "",
            item.action,
            item.entity,
            item.label,
            _lines(item.changes, before=True),
            _lines(item.changes, before=False),
        ]
        sheet.append([text_cell(sheet, value) for value in values])
    return workbook_bytes(book)


def _lines(changes: list[Change], *, before: bool) -> str:
    """One side of the changes, a line each; a creation has no "before" and a deletion no "after"."""
    values = [(change.field, change.before if before else change.after) for change in changes]
    return "\n".join(f"{field}：{value}" for field, value in values if value is not None)
