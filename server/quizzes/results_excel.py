"""A quiz's results in Excel: every submitted attempt, the correct rate of each question, each branch."""

from __future__ import annotations

from openpyxl import Workbook

from server.db import db
from server.quizzes.models import CLOSED_BY_LABELS
from server.quizzes.results import Results, attempts_listing
from server.spreadsheets import text_cell, workbook_bytes
from server.timezone import to_local


def _percent(rate: float | None) -> float | None:
    return round(rate * 100, 1) if rate is not None else None


def results_workbook(results: Results) -> bytes:
    quiz = results.quiz
    book = Workbook(write_only=True)
    scores = book.create_sheet("成绩")
    scores.append(
        [
            "姓名",
            "所在支部",
            "第几次",
            "开始时间",
            "交卷时间",
            "交卷方式",
            "答对",
            "题数",
            "得分",
            "是否及格",
            "获得积分",
        ]
    )
    for attempt, name, branch in db.session.execute(attempts_listing(quiz).execution_options(yield_per=2000)):
        scores.append(
            [
                text_cell(scores, name),
                text_cell(scores, branch),
                attempt.number,
                to_local(attempt.started_at).strftime("%Y-%m-%d %H:%M:%S"),
                to_local(attempt.submitted_at).strftime("%Y-%m-%d %H:%M:%S") if attempt.submitted_at else "",
                CLOSED_BY_LABELS.get(attempt.closed_by, "") if attempt.closed_by else "",
                attempt.correct_count,
                attempt.total,
                attempt.score,
                "" if attempt.passed is None else ("及格" if attempt.passed else "不及格"),
                attempt.points_awarded,
            ]
        )
    questions = book.create_sheet("题目正确率")
    questions.append(["题型", "题干", "抽到次数", "答对次数", "正确率（%）"])
    for stat in results.questions:
        questions.append([stat.kind, text_cell(questions, stat.stem), stat.drawn, stat.right, _percent(stat.rate)])
    branches = book.create_sheet("支部参与")
    branches.append(["组织", "党员数", "参加人数", "参与率（%）", "平均分", "及格人数"])
    for branch in results.branches:
        average = round(branch.average, 1) if branch.average is not None else None
        branches.append(
            [
                text_cell(branches, branch.name),
                branch.members,
                branch.participants,
                _percent(branch.rate),
                average,
                branch.passed,
            ]
        )
    return workbook_bytes(book)
