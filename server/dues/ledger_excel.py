"""Excel export of 党费台账: the organisation and its children, then the months."""

from __future__ import annotations

from decimal import Decimal

from openpyxl import Workbook

from server.dues.ledger import Ledger, LedgerRow
from server.spreadsheets import text_cell, workbook_bytes

HEADER = (
    "组织",
    "应缴（元）",
    "已缴（元）",
    "收缴率",
    "本期收缴（元）",
    "欠缴（元）",
    "本级收入（元）",
    "上缴（元）",
    "结余（元）",
)


def _yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def _line(sheet, label: str, row: LedgerRow, *, books: bool = True) -> list:
    rate = f"{row.rate:.1%}" if row.rate is not None else ""
    money = [_yuan(row.expected_fen), _yuan(row.paid_fen), rate, _yuan(row.collected_fen), _yuan(row.arrears_fen)]
    level = [_yuan(row.received_fen), _yuan(row.remitted_fen), _yuan(row.balance_fen)] if books else ["", "", ""]
    return [text_cell(sheet, label), *money, *level]


def ledger_workbook(book_of: Ledger) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("党费台账")
    sheet.append([f"{book_of.org.name} 党费台账 {book_of.first:%Y-%m} 至 {book_of.last:%Y-%m}"])
    sheet.append(list(HEADER))
    sheet.append(_line(sheet, f"{book_of.org.name}（本级）", book_of.own))
    for row in book_of.children:
        sheet.append(_line(sheet, row.name, row))
    sheet.append(_line(sheet, "合计", book_of.total, books=False))
    sheet.append([])
    sheet.append(["收缴渠道", "金额（元）"])
    for channel, fen in book_of.channels.items():
        sheet.append([channel, _yuan(fen)])
    months = book.create_sheet("按月")
    months.append(["月份", "应缴（元）", "已缴（元）", "当月收缴（元）"])
    for month in book_of.months:
        months.append([month["month"], _yuan(month["expected"]), _yuan(month["paid"]), _yuan(month["collected"])])
    return workbook_bytes(book)
