"""Banks, questions and quizzes straight into the tables, for tests (and the authorization matrix)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from server.db import db, utcnow
from server.orgs.models import Organisation
from server.quizzes.models import Question, QuestionBank, QuestionKind, Quiz, QuizKind, QuizStatus, Reveal

#: written index of the right option of the single-choice questions ``add_questions`` writes
RIGHT = 1


def make_bank(org: Organisation, name: str = "党章知识题库", questions: int = 10) -> QuestionBank:
    bank = QuestionBank(org=org, name=name)
    db.session.add(bank)
    db.session.flush()
    add_questions(bank, questions)
    return bank


def add_questions(bank: QuestionBank, count: int) -> list[Question]:
    """Single choice ("B" is right), every third a true/false ("正确"), every fourth a multiple ("AC")."""
    made = []
    for n in range(1, count + 1):
        if n % 3 == 0:
            question = Question(bank=bank, kind=QuestionKind.TRUE_FALSE, stem=f"判断题{n}", options=[], answer=[0])
        elif n % 4 == 0:
            options = [f"多选{n}甲", f"多选{n}乙", f"多选{n}丙", f"多选{n}丁"]
            question = Question(
                bank=bank, kind=QuestionKind.MULTIPLE, stem=f"多选题{n}", options=options, answer=[0, 2]
            )
        else:
            options = [f"单选{n}甲", f"单选{n}乙", f"单选{n}丙", f"单选{n}丁"]
            question = Question(bank=bank, kind=QuestionKind.SINGLE, stem=f"单选题{n}", options=options, answer=[RIGHT])
        question.explanation = f"第{n}题的解析"
        db.session.add(question)
        made.append(question)
    db.session.flush()
    return made


def make_quiz(org: Organisation, banks: list[QuestionBank], kind: QuizKind = QuizKind.EXAM, **kw: Any) -> Quiz:
    """Published and open: opened an hour ago, closes in a day."""
    now = utcnow()
    values: dict[str, Any] = {
        "kind": kind,
        "title": {QuizKind.EXAM: "党章知识考试", QuizKind.PRACTICE: "每日练习", QuizKind.CONTEST: "党规竞答"}[kind],
        "draw_count": 5,
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=1),
        "time_limit_s": 1800 if kind is QuizKind.EXAM else None,
        "attempts_allowed": 1 if kind is not QuizKind.PRACTICE else None,
        "pass_mark": 60 if kind is QuizKind.EXAM else None,
        "per_question_s": 20 if kind is QuizKind.CONTEST else None,
        "reveal": Reveal.AFTER_SUBMIT,
        "status": QuizStatus.PUBLISHED,
        "points_per_correct": 1,
        "pass_points": 5 if kind is QuizKind.EXAM else 0,
        "published_at": now - timedelta(hours=1),
    } | kw
    quiz = Quiz(org=org, **values)
    quiz.banks = list(banks)
    db.session.add(quiz)
    db.session.flush()
    return quiz


def right_answer(item: dict, question: Question) -> list[int]:
    """What to send for ``item`` (from the member's paper) to answer ``question`` right."""
    if question.kind is QuestionKind.TRUE_FALSE:
        return list(question.answer)
    return sorted(item["options"].index(question.options[index]) for index in question.answer)


def wrong_answer(item: dict, question: Question) -> list[int]:
    if question.kind is QuestionKind.TRUE_FALSE:
        return [1 - question.answer[0]]
    right = right_answer(item, question)
    return [next(i for i in range(len(item["options"])) if i not in right)]


def matrix_objects(branch: Organisation, member) -> dict[str, int]:
    """For the authorization matrix: a bank of ``branch`` with questions, a published exam and a draft of
    it, and ``member``'s attempt at the exam, under way."""
    from server.auth.member_services import MemberIdentity
    from server.quizzes.taking import start

    bank = make_bank(branch, f"{branch.name}题库", questions=6)
    exam = make_quiz(branch, [bank], QuizKind.EXAM, title=f"{branch.name}考试")
    draft = make_quiz(branch, [bank], QuizKind.CONTEST, title=f"{branch.name}竞答", status=QuizStatus.DRAFT)
    identity = MemberIdentity(0, member.id, member.name, member.org_id, member.group_id, None)
    attempt_id = start(exam, identity)
    question_id = min(
        question.id for question in db.session.scalars(sa.select(Question).where(Question.bank_id == bank.id))
    )
    return {"bank": bank.id, "quiz": exam.id, "draft": draft.id, "attempt": attempt_id, "question": question_id}
