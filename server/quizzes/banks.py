"""Question banks and their questions: who may see and change them, and what a valid question is.

A bank belongs to an organisation and is shared down its subtree: a secretary sees the banks of their
own subtree (and changes them) and those of the organisations above them (read-only: they build quizzes
from them). Any other bank answers as a missing one. One rule checks a question, whether typed into the
admin form or read from a row of an Excel import (``clean_question``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from server.auth.models import AdminUser
from server.auth.scope import can_see_org, require_write, scope_filter
from server.db import db
from server.errors import AppError, NotFound, PermissionDenied
from server.orgs.models import Organisation
from server.points.leaderboard import path_ids
from server.quizzes.models import MAX_OPTIONS, QUESTION_KIND_LABELS, Question, QuestionBank, QuestionKind

BANK_MISSING = "题库不存在"
QUESTION_MISSING = "题目不存在"
ANCESTOR_READ_ONLY = "上级组织的题库只能查看和选用，不能修改"
LETTERS = "ABCDEFGH"
TRUE_WORDS = {"正确", "对", "是", "√", "T", "TRUE", "Y"}
FALSE_WORDS = {"错误", "错", "否", "×", "X", "F", "FALSE", "N"}
KIND_WORDS = {label: kind for kind, label in QUESTION_KIND_LABELS.items()} | {
    "单选题": QuestionKind.SINGLE,
    "多选题": QuestionKind.MULTIPLE,
    "判断题": QuestionKind.TRUE_FALSE,
}
MAX_STEM, MAX_OPTION, MAX_EXPLANATION, MAX_TAGS, MAX_TAG = 1000, 200, 2000, 10, 20


# --- who sees which bank ------------------------------------------------------------------------------


def banks_for(admin: AdminUser) -> sa.Select:
    """Banks an admin sees: their subtree's, and those of the organisations above them."""
    above = path_ids(admin.org.path) if admin.org is not None and admin.scope_path != "/" else []
    return sa.select(QuestionBank).where(
        sa.or_(scope_filter(QuestionBank.org_id, admin.scope_path), QuestionBank.org_id.in_(above))
    )


def require_bank(admin: AdminUser, bank_id: int, *, write: bool = False) -> QuestionBank:
    bank = db.session.get(QuestionBank, bank_id)
    if bank is None:
        raise NotFound(BANK_MISSING)
    own = can_see_org(admin, bank.org)
    if not own and not (admin.org is not None and bank.org.contains(admin.org)):
        raise NotFound(BANK_MISSING)
    if write:
        require_write(admin)
        if not own:
            raise PermissionDenied(ANCESTOR_READ_ONLY)
    return bank


def require_question(admin: AdminUser, question_id: int, *, write: bool = False) -> Question:
    question = db.session.get(Question, question_id)
    if question is None:
        raise NotFound(QUESTION_MISSING)
    try:
        require_bank(admin, question.bank_id, write=write)
    except NotFound:
        raise NotFound(QUESTION_MISSING) from None
    return question


def usable_banks(org: Organisation) -> list[QuestionBank]:
    """Banks a quiz of ``org`` may draw from: those of ``org`` and of every organisation above it."""
    return list(
        db.session.scalars(
            sa.select(QuestionBank)
            .where(QuestionBank.org_id.in_(path_ids(org.path or "/")))
            .order_by(QuestionBank.org_id, QuestionBank.name)
        )
    )


def active_counts(bank_ids: list[int]) -> dict[int, int]:
    if not bank_ids:
        return {}
    rows = db.session.execute(
        sa.select(Question.bank_id, sa.func.count())
        .where(Question.bank_id.in_(bank_ids), Question.active.is_(True))
        .group_by(Question.bank_id)
    )
    return dict(rows.tuples().all())


# --- writing -----------------------------------------------------------------------------------------------


def create_bank(org: Organisation, name: str, description: str, created_by_id: int | None) -> QuestionBank:
    name = name.strip()
    if not name or len(name) > 100:
        raise AppError("bank_name", "题库名称应为 1 到 100 个字符")
    if db.session.scalar(sa.select(QuestionBank.id).where(QuestionBank.org_id == org.id, QuestionBank.name == name)):
        raise AppError("duplicate_bank", f"{org.name}已有名为“{name}”的题库")
    bank = QuestionBank(org=org, name=name, description=description.strip()[:500], created_by_id=created_by_id)
    db.session.add(bank)
    db.session.flush()
    return bank


@dataclass(frozen=True)
class CleanQuestion:
    kind: QuestionKind
    stem: str
    options: list[str]
    answer: list[int]
    explanation: str
    tags: list[str]


class QuestionProblem(ValueError):
    """What is wrong with a question, and in which field (for a form's field or an import's column)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_kind(text: str | None) -> QuestionKind:
    value = (text or "").strip()
    if value in QuestionKind._value2member_map_:
        return QuestionKind(value)
    if value in KIND_WORDS:
        return KIND_WORDS[value]
    raise QuestionProblem("kind", "题型应为 单选、多选 或 判断")


def parse_answer(kind: QuestionKind, text: str | None, option_count: int) -> list[int]:
    """ "B" / "ACD" / "A,C" / "正确" -> indexes into the options."""
    value = (text or "").strip().upper()
    if not value:
        raise QuestionProblem("answer", "请填写答案")
    if kind is QuestionKind.TRUE_FALSE:
        if value in TRUE_WORDS:
            return [0]
        if value in FALSE_WORDS:
            return [1]
        raise QuestionProblem("answer", "判断题的答案应为“正确”或“错误”")
    letters = re.sub(r"[\s,，、;；]", "", value)
    if not letters or any(letter not in LETTERS[:option_count] for letter in letters):
        raise QuestionProblem("answer", f"答案应为选项字母（A–{LETTERS[max(option_count, 1) - 1]}），如 B 或 ACD")
    if len(set(letters)) != len(letters):
        raise QuestionProblem("answer", "答案中的字母重复了")
    return sorted(LETTERS.index(letter) for letter in letters)


def answer_text(question: Question) -> str:
    if question.kind is QuestionKind.TRUE_FALSE:
        return "正确" if question.answer == [0] else "错误"
    return "".join(LETTERS[index] for index in question.answer)


def parse_tags(text: str | None) -> list[str]:
    tags = [tag.strip() for tag in re.split(r"[,，、;；\s]+", text or "") if tag.strip()]
    if len(tags) > MAX_TAGS or any(len(tag) > MAX_TAG for tag in tags):
        raise QuestionProblem("tags", f"标签最多 {MAX_TAGS} 个，每个不超过 {MAX_TAG} 个字")
    return list(dict.fromkeys(tags))


def clean_question(kind_text, stem, options: list[str | None], answer_text_: str | None, explanation, tags):
    """A question as typed or imported, checked; raises :class:`QuestionProblem` naming the field."""
    kind = parse_kind(kind_text)
    stem = (stem or "").strip()
    if not stem:
        raise QuestionProblem("stem", "请填写题干")
    if len(stem) > MAX_STEM:
        raise QuestionProblem("stem", f"题干不能超过 {MAX_STEM} 个字")
    texts = [(option or "").strip() for option in options]
    while texts and not texts[-1]:
        texts.pop()  # trailing blank option columns
    if kind is QuestionKind.TRUE_FALSE:
        if texts:
            raise QuestionProblem("options", "判断题不填选项（手机上显示“正确”“错误”）")
    else:
        if len(texts) < 2 or "" in texts:
            raise QuestionProblem("options", "选择题至少需要 2 个选项，且选项之间不能空缺")
        if len(texts) > MAX_OPTIONS:
            raise QuestionProblem("options", f"选项最多 {MAX_OPTIONS} 个")
        if any(len(text) > MAX_OPTION for text in texts):
            raise QuestionProblem("options", f"每个选项不能超过 {MAX_OPTION} 个字")
        if len(set(texts)) != len(texts):
            raise QuestionProblem("options", "选项内容重复")
    answer = parse_answer(kind, answer_text_, len(texts))
    if kind is QuestionKind.SINGLE and len(answer) != 1:
        raise QuestionProblem("answer", "单选题只能有一个正确答案")
    if kind is QuestionKind.MULTIPLE and len(answer) < 2:
        raise QuestionProblem("answer", "多选题至少有两个正确答案")
    explanation = (explanation or "").strip()
    if len(explanation) > MAX_EXPLANATION:
        raise QuestionProblem("explanation", f"解析不能超过 {MAX_EXPLANATION} 个字")
    return CleanQuestion(kind, stem, texts, answer, explanation, parse_tags(tags))


def add_question(bank: QuestionBank, clean: CleanQuestion) -> Question:
    question = Question(
        bank=bank,
        kind=clean.kind,
        stem=clean.stem,
        options=clean.options,
        answer=clean.answer,
        explanation=clean.explanation,
        tags=clean.tags,
    )
    db.session.add(question)
    return question


def update_question(question: Question, clean: CleanQuestion) -> Question:
    """Change a question. Papers already handed out keep their option order, so the number of options of a
    question that has been drawn may not change (the saved choices point at them)."""
    from server.quizzes.models import AttemptItem

    drawn = db.session.scalar(sa.select(AttemptItem.attempt_id).where(AttemptItem.question_id == question.id).limit(1))
    if drawn is not None and (clean.kind != question.kind or len(clean.options) != len(question.options)):
        raise AppError("question_in_use", "该题已被抽入答卷，不能再改题型或选项个数；可停用后新建一题")
    question.kind = clean.kind
    question.stem = clean.stem
    question.options = clean.options
    question.answer = clean.answer
    question.explanation = clean.explanation
    question.tags = clean.tags
    db.session.flush()
    return question


def set_active(question: Question, active: bool) -> Question:
    question.active = active
    db.session.flush()
    return question
