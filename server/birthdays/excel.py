"""The month's political birthdays as a workbook, for the branch's own records and the 主题党日's list."""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl import Workbook

from server.birthdays.services import Birthday
from server.spreadsheets import text_cell, workbook_bytes
from server.timezone import to_local

HEADER = ("姓名", "所在支部", "入党日期", "政治生日", "第几个政治生日", "已发送祝福", "主题党日")


def month_workbook(title: str, birthdays: Iterable[Birthday]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("政治生日")
    sheet.append([text_cell(sheet, title)])
    sheet.append(list(HEADER))
    for b in birthdays:
        meeting = f"{b.meeting.title}（{to_local(b.meeting.starts_at):%Y-%m-%d %H:%M}）" if b.meeting else ""
        sheet.append(
            [
                text_cell(sheet, b.member.name),
                text_cell(sheet, b.branch.name),
                b.member.join_date.isoformat(),
                b.day.isoformat(),
                b.years,
                "是" if b.greeted else "否",
                text_cell(sheet, meeting),
            ]
        )
    return workbook_bytes(book)
