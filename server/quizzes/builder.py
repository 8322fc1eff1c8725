"""Building a quiz: the secretary's form, its rules per kind, publishing and closing.

A quiz is built as a draft (invisible to members), then published. Once published its questions are
being handed out, so only its close may change: closing it early ends every open attempt (the periodic
job scores them as timed out, with the answers saved until then).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from server.auth.models import AdminUser
from server.auth.scope import ORG_MISSING, can_see_org, require_write
from server.db import db, utcnow
from server.errors import AppError, NotFound
from server.orgs.models import Organisation, OrgKind
from server.quizzes import banks
from server.quizzes.models import Attempt, AttemptStatus, Quiz, QuizKind, QuizStatus, Reveal
from server.schema_fields import RecordId
from server.tasks import enqueue_after_commit

QUIZ_MISSING = "测验不存在"
#: who may be a quiz's audience: every level but a party group
AUDIENCE_KINDS = (OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH)


def require_quiz(admin: AdminUser, quiz_id: int, *, write: bool = False) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or not can_see_org(admin, quiz.org):
        raise NotFound(QUIZ_MISSING)
    if write:
        require_write(admin)
    return quiz


def local_datetime(text: str) -> datetime:
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


class LocalDateTime(fields.Field):
    """A ``datetime-local`` input (Beijing time) in, a UTC datetime out."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return local_datetime(str(value).strip())
        except ValueError as exc:
            raise ValidationError("时间格式应为 2027-01-05T09:00") from exc


class QuizFormSchema(Schema):
    kind = fields.Enum(QuizKind, by_value=True, required=True, error_messages={"unknown": "请选择测验类型"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(load_default="", validate=validate.Length(max=1000))
    org_id = RecordId(required=True)
    bank_ids = fields.List(RecordId(), required=True, validate=validate.Length(min=1, error="请至少选择一个题库"))
    draw_count = fields.Integer(required=True, validate=validate.Range(min=1, max=200))
    opens_at = LocalDateTime(required=True)
    closes_at = LocalDateTime(load_default=None, allow_none=True)
    time_limit_min = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=600))
    attempts_allowed = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=100))
    pass_mark = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100))
    shuffle_options = fields.Boolean(load_default=False)
    per_question_s = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=5, max=600))
    reveal = fields.Enum(Reveal, by_value=True, load_default=Reveal.AFTER_SUBMIT)
    points_per_correct = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100))
    pass_points = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1000))

    @validates_schema
    def _rules_of_the_kind(self, data: dict, **_: object) -> None:
        kind = data["kind"]
        if data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            raise ValidationError("结束时间应晚于开始时间", "closes_at")
        if kind is QuizKind.EXAM:
            if not data.get("closes_at"):
                raise ValidationError("考试须有结束时间", "closes_at")
            if not data.get("time_limit_min"):
                raise ValidationError("考试须限定答题时长", "time_limit_min")
        if kind is QuizKind.CONTEST:
            if not data.get("per_question_s"):
                raise ValidationError("竞答须设定每题限时", "per_question_s")
            if data.get("pass_mark") is not None:
                raise ValidationError("竞答按答对和用时排名，不设及格线", "pass_mark")

    @post_load
    def _as_columns(self, data: dict, **_: object) -> dict:
        minutes = data.pop("time_limit_min")
        data["time_limit_s"] = minutes * 60 if minutes and data["kind"] is not QuizKind.CONTEST else None
        if data["kind"] is not QuizKind.CONTEST:
            data["per_question_s"] = None
        if data["kind"] is QuizKind.EXAM and data["attempts_allowed"] is None:
            data["attempts_allowed"] = 1
        data["bank_ids"] = list(dict.fromkeys(data["bank_ids"]))
        return data


def audience_orgs(admin: AdminUser) -> list[Organisation]:
    """Organisations an admin may set as a quiz's audience: their live subtree, party groups aside."""
    from server.orgs.services import live_orgs_under, tree_order

    return list(
        db.session.scalars(
            live_orgs_under(admin.scope_path if admin.scope_path != "/" else "/")
            .where(Organisation.kind.in_(AUDIENCE_KINDS))
            .order_by(tree_order())
        )
    )


def _apply(quiz: Quiz, admin: AdminUser, data: dict) -> Quiz:
    org = db.session.get(Organisation, data["org_id"])
    if org is None or org.dissolved_at is not None or not can_see_org(admin, org):
        raise NotFound(ORG_MISSING)  # outside the subtree answers like a missing organisation
    if org.kind not in AUDIENCE_KINDS:
        raise AppError("bad_audience", "参加范围应为党委、党总支或党支部")
    usable = {bank.id: bank for bank in banks.usable_banks(org)}
    if any(bank_id not in usable for bank_id in data["bank_ids"]):
        raise AppError("bad_bank", "所选题库不可用：只能选用本组织及上级组织的题库")
    for key in ("kind", "title", "description", "draw_count", "opens_at", "closes_at", "time_limit_s"):
        setattr(quiz, key, data[key])
    for key in ("attempts_allowed", "pass_mark", "shuffle_options", "per_question_s", "reveal"):
        setattr(quiz, key, data[key])
    quiz.points_per_correct, quiz.pass_points = data["points_per_correct"], data["pass_points"]
    quiz.title = quiz.title.strip()
    quiz.org = org
    quiz.banks = [usable[bank_id] for bank_id in data["bank_ids"]]
    db.session.add(quiz)  # a new quiz joins the session only now, whole (no half-filled autoflush)
    db.session.flush()
    return quiz


def create_quiz(admin: AdminUser, data: dict) -> Quiz:
    return _apply(Quiz(created_by_id=admin.id, status=QuizStatus.DRAFT), admin, data)


def update_quiz(quiz: Quiz, admin: AdminUser, data: dict) -> Quiz:
    if quiz.status is not QuizStatus.DRAFT:
        raise AppError("quiz_published", "已发布的测验不能再修改")
    return _apply(quiz, admin, data)


def publish(quiz: Quiz, now: datetime | None = None) -> Quiz:
    now = now or utcnow()
    if quiz.status is not QuizStatus.DRAFT:
        raise AppError("quiz_published", "该测验已发布")
    if quiz.closes_at is not None and quiz.closes_at <= now:
        raise AppError("quiz_past", "结束时间已过，请先修改时间再发布")
    available = sum(banks.active_counts([bank.id for bank in quiz.banks]).values())
    if available == 0:
        raise AppError("no_questions", "所选题库中没有启用的题目，不能发布")
    if available < quiz.draw_count:
        raise AppError("too_few_questions", f"所选题库只有 {available} 道启用的题目，少于每份抽题数 {quiz.draw_count}")
    quiz.status = QuizStatus.PUBLISHED
    quiz.published_at = now
    db.session.flush()
    return quiz


def close(quiz: Quiz, now: datetime | None = None) -> int:
    """End a published quiz now; open attempts end too (scored by the job). Returns how many were open."""
    from server.quizzes.tasks import close_expired_attempts

    now = now or utcnow()
    if quiz.status is not QuizStatus.PUBLISHED:
        raise AppError("quiz_not_published", "只有进行中的测验可以结束")
    quiz.status = QuizStatus.CLOSED
    quiz.closed_at = now
    if quiz.closes_at is None or quiz.closes_at > now:
        quiz.closes_at = max(now, quiz.opens_at + timedelta(seconds=1))  # a close is after the opening
    ended = db.session.execute(
        sa.update(Attempt)
        .where(Attempt.quiz_id == quiz.id, Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.deadline_at > now)
        .values(deadline_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.flush()
    enqueue_after_commit(close_expired_attempts)
    return ended
