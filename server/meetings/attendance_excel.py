"""出勤率 as a workbook: one sheet of branch totals, one of members."""

from __future__ import annotations

from openpyxl import Workbook

from server.meetings.attendance import AttendanceFigures, AttendanceReport
from server.spreadsheets import text_cell, workbook_bytes

FIGURE_HEADINGS = ["应参会次数", "实到次数", "出勤率", "其中补录会议", "补录会议实到"]


def _figures(figures: AttendanceFigures) -> list:
    rate = "" if figures.rate is None else f"{figures.rate:.0%}"
    return [figures.expected, figures.attended, rate, figures.backfilled, figures.backfilled_attended]


def attendance_workbook(report: AttendanceReport) -> bytes:
    book = Workbook(write_only=True)
    branches = book.create_sheet("支部出勤率")
    branches.append(["支部", "党员数", *FIGURE_HEADINGS])
    for branch in report.branches:
        branches.append([text_cell(branches, branch.name), branch.members, *_figures(branch.figures)])
    members = book.create_sheet("党员出勤率")
    members.append(["姓名", "支部", *FIGURE_HEADINGS])
    for member in report.members:
        members.append([text_cell(members, member.name), text_cell(members, member.branch), *_figures(member.figures)])
    return workbook_bytes(book)
