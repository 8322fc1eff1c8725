"""Questions from Excel into a bank: every row checked by the one rule (``banks.clean_question``), all rows
saved or none, each problem named by row and column in Chinese.

Like the dues bases import, this runs inside the request: a bank is at most ``MAX_ROWS`` questions, checked
in well under a second. So the upload is held to ``MAX_BYTES`` before it is read (``upload_limit`` and
``read_upload`` in the view) and every byte unpacked is counted (``spreadsheets.open_upload``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from server.db import db
from server.errors import AppError
from server.members.excel import cell_text
from server.quizzes.bank_excel import COLUMNS, REQUIRED, SHEET_TITLE, TITLES
from server.quizzes.banks import CleanQuestion, QuestionProblem, add_question, clean_question
from server.quizzes.models import MAX_OPTIONS, Question, QuestionBank
from server.spreadsheets import open_upload

MAX_ROWS = 2000
#: 2,000 questions with long stems and explanations fill about 400 KB; parsed inside the web request, so
#: far below the register import's 5 MB (see server/dues/base_imports.py for why).
MAX_BYTES = 1024 * 1024
TOO_LARGE = "题库文件不能超过 1 MB：请只保留模板中的列，或分批导入"
OPTION_KEYS = [key for key, _, _ in COLUMNS if key.startswith("option_")][:MAX_OPTIONS]
#: a QuestionProblem's field -> the column it is reported under
FIELD_COLUMNS = {"kind": "kind", "stem": "stem", "options": "option_A", "answer": "answer"} | {
    "explanation": "explanation",
    "tags": "tags",
}


@dataclass
class Outcome:
    saved: int
    errors: list[dict[str, Any]]


def _error(row: int, key: str, message: str) -> dict[str, Any]:
    return {"row": row, "column": TITLES.get(key, key), "message": message}


def _positions(rows) -> dict[str, int]:
    header = [cell_text(cell) for cell in next(rows, ())]
    missing = [TITLES[key] for key in REQUIRED if TITLES[key] not in header]
    if missing:
        raise AppError("bad_header", "表头缺少必填列：" + "、".join(missing) + "。请使用下载的模板。")
    return {key: header.index(title) for key, title, _ in COLUMNS if title in header}


def read_questions(content: bytes) -> tuple[list[tuple[int, CleanQuestion]], list[dict[str, Any]]]:
    """Every filled row checked: ((row, question) of the good ones, the problems by row)."""
    book = open_upload(content)
    try:
        sheet = book[SHEET_TITLE] if SHEET_TITLE in book.sheetnames else book.worksheets[0]
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        positions = _positions(rows)
        questions: list[tuple[int, CleanQuestion]] = []
        errors: list[dict[str, Any]] = []
        seen: dict[str, int] = {}
        for number, row in enumerate(rows, start=2):
            values = {key: cell_text(row[i] if i < len(row) else None) for key, i in positions.items()}
            if not any(values.values()):
                continue
            if len(questions) + len({e["row"] for e in errors}) >= MAX_ROWS:
                raise AppError("too_many_rows", f"一次最多导入 {MAX_ROWS} 道题，请分批导入")
            try:
                question = clean_question(
                    values.get("kind"),
                    values.get("stem"),
                    [values.get(key) for key in OPTION_KEYS],
                    values.get("answer"),
                    values.get("explanation"),
                    values.get("tags"),
                )
            except QuestionProblem as problem:
                errors.append(_error(number, FIELD_COLUMNS[problem.field], problem.message))
                continue
            if question.stem in seen:
                errors.append(_error(number, "stem", f"与第 {seen[question.stem]} 行的题干相同"))
                continue
            seen[question.stem] = number
            questions.append((number, question))
    finally:
        book.close()
    return questions, errors


def import_questions(content: bytes, bank: QuestionBank) -> Outcome:
    """All the file's questions into ``bank``, or none (returning the problems). A stem the bank already
    has is a problem too: uploading the same file twice adds nothing."""
    questions, errors = read_questions(content)
    if not questions and not errors:
        raise AppError("empty_file", "文件里没有题目：请从模板的第 2 行起填写")
    existing = set(db.session.scalars(sa.select(Question.stem).where(Question.bank_id == bank.id)))
    for row, question in questions:
        if question.stem in existing:
            errors.append(_error(row, "stem", "题库中已有相同题干的题目"))
    errors.sort(key=lambda error: error["row"])
    if errors:
        return Outcome(0, errors)
    for _, question in questions:
        add_question(bank, question)
    return Outcome(len(questions), [])
