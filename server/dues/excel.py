"""Excel export of bills."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from openpyxl import Workbook

from server.db import db
from server.dues.models import BILL_STATUS_LABELS, DuesBill
from server.members.models import DUES_CATEGORY_LABELS, Member
from server.orgs.models import Organisation
from server.orgs.services import tree_order
from server.spreadsheets import text_cell, workbook_bytes
from server.timezone import to_local

HEADER = (
    "所在支部",
    "姓名",
    "月份",
    "党费类别",
    "缴费基数（元）",
    "应缴（元）",
    "状态",
    "自愿多交（元）",
    "缴费时间",
    "备注",
)


def _yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100  # a number, so the secretary can sum the column


def bills_workbook(where: list[sa.ColumnElement[bool]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("党费账单")
    sheet.append(list(HEADER))
    query = (
        sa.select(DuesBill, Member.name, Organisation.name)
        .join(Member, Member.id == DuesBill.member_id)
        .join(Organisation, Organisation.id == DuesBill.org_id)
        .where(*where)
        .order_by(tree_order(), Member.name_sort)
    )
    for bill, name, branch in db.session.execute(query.execution_options(yield_per=1000)):
        sheet.append(
            [
                text_cell(sheet, branch),
                text_cell(sheet, name),
                f"{bill.month:%Y-%m}",
                DUES_CATEGORY_LABELS[bill.category],
                _yuan(bill.base_fen),
                _yuan(bill.amount_fen),
                BILL_STATUS_LABELS[bill.status],
                _yuan(bill.voluntary_extra_fen),
                to_local(bill.paid_at).strftime("%Y-%m-%d %H:%M") if bill.paid_at else "",
                text_cell(sheet, bill.note),
            ]
        )
    return workbook_bytes(book)
