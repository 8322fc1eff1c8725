"""Excel export of a notice's receipts: who has read, who has acknowledged (and whether late), who has not."""

from __future__ import annotations

from openpyxl import Workbook

from server.notices.models import Notice
from server.notices.receipts import Counts, Receipt
from server.spreadsheets import text_cell, workbook_bytes
from server.timezone import to_local


def _time(moment) -> str:
    return to_local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def receipts_workbook(notice: Notice, figures: Counts, rows: list[Receipt]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("回执")
    sheet.append([text_cell(sheet, f"{notice.org.name} 通知：{notice.title}")])
    sheet.append(["发送时间（北京时间）", _time(notice.sent_at)])
    if notice.ack_required:
        sheet.append(["回执截止（北京时间）", _time(notice.ack_deadline) or "不限"])
    summary = ["送达人数", figures.recipients, "已读", figures.read]
    if notice.ack_required:
        summary += ["已确认", figures.acked, "逾期确认", figures.late]
    sheet.append(summary)
    sheet.append([])
    sheet.append(["姓名", "所在组织", "状态", "阅读时间", "确认时间"])
    for row in rows:
        sheet.append(
            [
                text_cell(sheet, row.name),
                text_cell(sheet, row.org_name),
                row.label,
                _time(row.read_at),
                _time(row.acked_at),
            ]
        )
    return workbook_bytes(book)
