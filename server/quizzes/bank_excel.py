"""Question banks in Excel: the import template and the export, in the same columns, so that an exported
bank imports again as it was (into another bank, say a branch's copy of the committee's)."""

from __future__ import annotations

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from server.db import db
from server.quizzes.banks import LETTERS, answer_text
from server.quizzes.models import MAX_OPTIONS, QUESTION_KIND_LABELS, Question, QuestionBank
from server.spreadsheets import set_text, text_cell, workbook_bytes

SHEET_TITLE = "题目"
#: (key, title, width)
COLUMNS = (
    ("kind", "题型", 8),
    ("stem", "题干", 48),
    *((f"option_{letter}", f"选项{letter}", 22) for letter in LETTERS[:MAX_OPTIONS]),
    ("answer", "答案", 10),
    ("explanation", "解析", 40),
    ("tags", "标签", 16),
)
TITLES = {key: title for key, title, _ in COLUMNS}
REQUIRED = ("kind", "stem", "answer")
EXAMPLES = (
    (
        "单选",
        "党的最高领导机关是什么？",
        ["党的全国代表大会和它所产生的中央委员会", "中央政治局", "中央书记处", "中央军事委员会"],
        "A",
        "《中国共产党章程》第十条：党的最高领导机关，是党的全国代表大会和它所产生的中央委员会。",
        "党章,组织制度",
    ),
    (
        "多选",
        "党员的组织生活制度包括哪些？",
        ["三会一课", "组织生活会", "民主评议党员", "主题党日"],
        "ABCD",
        "《中国共产党支部工作条例（试行）》第十八条至第二十条。",
        "支部工作条例",
    ),
    ("判断", "党员连续六个月不交纳党费，没有正当理由的，就被认为是自行脱党。", [], "正确", "党章第九条。", "党章,党费"),
)
NOTES = (
    "每行一道题。题型填 单选、多选 或 判断。",
    "选择题从“选项A”起连续填写 2 到 8 个选项；判断题不填选项（手机上显示“正确”“错误”）。",
    "答案填选项字母：单选如 B，多选如 ACD（至少两个）；判断题填“正确”或“错误”。",
    "解析在成绩公布后给党员看；标签用逗号或顿号分隔，可不填。",
    "任何一行有误，整个文件都不会导入；请按提示改正后重新上传。一次最多导入 2000 道题。",
)


def _header(sheet) -> None:
    for index, (_, title, width) in enumerate(COLUMNS, start=1):
        cell = set_text(sheet.cell(row=1, column=index), title)
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"


def _row(kind: str, stem: str, options: list[str], answer: str, explanation: str, tags: str) -> list[str]:
    padded = list(options) + [""] * (MAX_OPTIONS - len(options))
    return [kind, stem, *padded, answer, explanation, tags]


def template() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    _header(sheet)
    for row_number, example in enumerate(EXAMPLES, start=2):
        for column, value in enumerate(_row(*example), start=1):
            set_text(sheet.cell(row=row_number, column=column), value).alignment = Alignment(wrap_text=True)
    kinds = DataValidation(type="list", formula1='"单选,多选,判断"', allow_blank=False)
    kinds.error = "题型应为 单选、多选 或 判断"
    sheet.add_data_validation(kinds)
    kinds.add("A2:A2001")
    notes = book.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 100
    for line_number, line in enumerate(NOTES, start=1):
        set_text(notes.cell(row=line_number, column=1), line)
    return workbook_bytes(book)


def export(bank: QuestionBank) -> bytes:
    """Every question of the bank, active ones first, in the template's columns (and a 状态 column)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_TITLE)
    sheet.append([title for _, title, _ in COLUMNS] + ["状态"])
    questions = db.session.scalars(
        sa.select(Question).where(Question.bank_id == bank.id).order_by(Question.active.desc(), Question.id)
    )
    for question in questions:
        row = _row(
            QUESTION_KIND_LABELS[question.kind],
            question.stem,
            question.options,
            answer_text(question),
            question.explanation,
            "，".join(question.tags or []),
        )
        sheet.append([text_cell(sheet, value) for value in row] + ["启用" if question.active else "停用"])
    return workbook_bytes(book)
