"""Excel export of the mailbox statistics per organisation (no letter, no writer: figures only)."""

from __future__ import annotations

from openpyxl import Workbook

from server.mailbox.stats import OrgFigures
from server.spreadsheets import text_cell, workbook_bytes

HEADER = ("组织", "收到来信", "已回复", "未回复", "超时未回复", "回复率", "回复用时中位数（小时）")


def stats_workbook(title: str, figures: list[OrgFigures]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("信箱统计")
    sheet.append([text_cell(sheet, title)])
    sheet.append(list(HEADER))
    for f in figures:
        rate = round(f.reply_rate, 3) if f.reply_rate is not None else ""
        median = f.median_hours if f.median_hours is not None else ""
        sheet.append([text_cell(sheet, f.name), f.received, f.replied, f.open, f.overdue, rate, median])
    return workbook_bytes(book)
