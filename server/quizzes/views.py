"""Admin pages of quizzes: the list, the builder, publishing and closing, results with charts and Excel, and
the contest screen for a projector. Thin: parse the request, check scope, call a service, render.
Bank pages are in ``bank_views.py`` (on this blueprint)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from server.admin.access import admin_required, writer_required
from server.audit.services import record
from server.auth.scope import in_scope
from server.db import db, utcnow
from server.errors import AppError
from server.http import translate
from server.quizzes import banks, builder, contest, results
from server.quizzes.models import (
    QUIZ_KIND_LABELS,
    QUIZ_STATUS_LABELS,
    REVEAL_LABELS,
    Attempt,
    AttemptStatus,
    Quiz,
    QuizKind,
    QuizStatus,
)
from server.quizzes.results_excel import results_workbook
from server.spreadsheets import send_xlsx
from server.timezone import to_local

bp = Blueprint("quizzes", __name__, url_prefix="/admin/quizzes", template_folder="templates")
#: how often the contest screen asks for the standings, in seconds
SCREEN_REFRESH = 2
#: form fields shown as the member sees time (Beijing), sent back as ``datetime-local``
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


@bp.route("/")
@admin_required
def index():
    quizzes = db.session.scalars(
        sa.select(Quiz).where(in_scope(Quiz.org_id, g.admin)).order_by(Quiz.opens_at.desc(), Quiz.id.desc()).limit(200)
    ).all()
    ids = [quiz.id for quiz in quizzes]
    taken = {}
    if ids:
        taken = dict(
            db.session.execute(
                sa.select(Attempt.quiz_id, sa.func.count(sa.distinct(Attempt.member_id)))
                .where(Attempt.quiz_id.in_(ids), Attempt.status == AttemptStatus.SUBMITTED)
                .group_by(Attempt.quiz_id)
            )
            .tuples()
            .all()
        )
    return render_template(
        "quizzes/list.html", quizzes=quizzes, taken=taken, kinds=QUIZ_KIND_LABELS, statuses=QUIZ_STATUS_LABELS
    )


def _form_defaults() -> dict[str, str]:
    start = to_local(utcnow() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return {
        "kind": QuizKind.EXAM.value,
        "opens_at": start.strftime(LOCAL_INPUT),
        "closes_at": (start + timedelta(days=7)).strftime(LOCAL_INPUT),
        "time_limit_min": "30",
        "draw_count": "20",
        "attempts_allowed": "1",
        "pass_mark": "60",
        "shuffle_options": "on",
        "reveal": "after_submit",
        "points_per_correct": "1",
        "pass_points": "5",
        "per_question_s": "20",
        "org_id": str(g.admin.org_id or ""),
    }


def _quiz_form_values(quiz: Quiz) -> dict[str, str]:
    def text(value) -> str:
        return "" if value is None else str(value)

    return {
        "kind": quiz.kind.value,
        "title": quiz.title,
        "description": quiz.description,
        "org_id": str(quiz.org_id),
        "bank_ids": [str(bank.id) for bank in quiz.banks],
        "draw_count": str(quiz.draw_count),
        "opens_at": to_local(quiz.opens_at).strftime(LOCAL_INPUT),
        "closes_at": to_local(quiz.closes_at).strftime(LOCAL_INPUT) if quiz.closes_at else "",
        "time_limit_min": text(quiz.time_limit_s // 60 if quiz.time_limit_s else None),
        "attempts_allowed": text(quiz.attempts_allowed),
        "pass_mark": text(quiz.pass_mark),
        "shuffle_options": "on" if quiz.shuffle_options else "",
        "per_question_s": text(quiz.per_question_s),
        "reveal": quiz.reveal.value,
        "points_per_correct": str(quiz.points_per_correct),
        "pass_points": str(quiz.pass_points),
    }


class _Form(dict):
    """The posted (or default) values, read by the template like ``request.form``."""

    def getlist(self, key: str) -> list[str]:
        value = self.get(key, [])
        return value if isinstance(value, list) else [value]


def _posted() -> _Form:
    form = _Form({key: value for key, value in request.form.items() if key not in ("csrf_token", "bank_ids")})
    form["bank_ids"] = request.form.getlist("bank_ids")
    return form


def _load(form: _Form) -> tuple[dict | None, dict]:
    raw = {key: value for key, value in form.items() if not (isinstance(value, str) and value.strip() == "")}
    raw.setdefault("shuffle_options", "false")
    if "closes_at" not in raw:
        raw["closes_at"] = None
    try:
        return builder.QuizFormSchema().load(raw), {}
    except ValidationError as exc:
        return None, translate(exc.messages)  # type: ignore[return-value]


def _render_form(form: _Form, errors: dict, quiz: Quiz | None = None):
    orgs = builder.audience_orgs(g.admin)
    usable = {}
    for org in orgs:
        for bank in banks.usable_banks(org):
            usable[bank.id] = bank
    counts = banks.active_counts(list(usable))
    return render_template(
        "quizzes/form.html",
        form=form,
        errors=errors,
        quiz=quiz,
        orgs=orgs,
        banks=sorted(usable.values(), key=lambda bank: (bank.org.tree_key, bank.name)),
        counts=counts,
        kinds=QUIZ_KIND_LABELS,
        reveals=REVEAL_LABELS,
    )


def _save(form: _Form, quiz: Quiz | None):
    data, errors = _load(form)
    if data is None:
        return None, errors
    try:
        saved = builder.update_quiz(quiz, g.admin, data) if quiz else builder.create_quiz(g.admin, data)
    except AppError as refusal:
        if refusal.status != 400:
            raise
        field = {"bad_audience": "org_id", "bad_bank": "bank_ids"}.get(refusal.code, "_schema")
        return None, {field: [refusal.message]}
    return saved, {}


@bp.route("/new", methods=["GET", "POST"])
@writer_required
def create():
    if request.method == "GET":
        return _render_form(_Form(_form_defaults()), {})
    form = _posted()
    quiz, errors = _save(form, None)
    if quiz is None:
        return _render_form(form, errors), 400
    flash(f"已保存草稿“{quiz.title}”，检查无误后请发布")
    return redirect(url_for("quizzes.detail", quiz_id=quiz.id))


@bp.route("/<int:quiz_id>/edit", methods=["GET", "POST"])
@writer_required
def edit(quiz_id: int):
    quiz = builder.require_quiz(g.admin, quiz_id, write=True)
    if quiz.status is not QuizStatus.DRAFT:
        raise AppError("quiz_published", "已发布的测验不能再修改", status=409)
    if request.method == "GET":
        return _render_form(_Form(_quiz_form_values(quiz)), {}, quiz)
    form = _posted()
    saved, errors = _save(form, quiz)
    if saved is None:
        return _render_form(form, errors, quiz), 400
    flash("已保存修改")
    return redirect(url_for("quizzes.detail", quiz_id=quiz.id))


@bp.route("/<int:quiz_id>")
@admin_required
def detail(quiz_id: int):
    quiz = builder.require_quiz(g.admin, quiz_id)
    figures = results.results(quiz)
    chart = {
        "distribution": figures.distribution,
        "questions": [
            [stat.stem[:24], round(stat.rate * 100, 1)] for stat in figures.questions[:10] if stat.rate is not None
        ],
        "branches": [
            [branch.name, round(branch.rate * 100, 1)] for branch in figures.branches if branch.rate is not None
        ][:20],
    }
    return render_template(
        "quizzes/detail.html",
        quiz=quiz,
        results=figures,
        chart=chart,
        counts=banks.active_counts([bank.id for bank in quiz.banks]),
        kinds=QUIZ_KIND_LABELS,
        statuses=QUIZ_STATUS_LABELS,
        reveals=REVEAL_LABELS,
        now=utcnow(),
    )


@bp.route("/<int:quiz_id>/publish", methods=["POST"])
@writer_required
def publish(quiz_id: int):
    quiz = builder.require_quiz(g.admin, quiz_id, write=True)
    try:
        builder.publish(quiz)
    except AppError as refusal:
        flash(refusal.message)
    else:
        flash(f"已发布“{quiz.title}”，{quiz.org.name}的党员可在小程序中看到")
    return redirect(url_for("quizzes.detail", quiz_id=quiz.id))


@bp.route("/<int:quiz_id>/close", methods=["POST"])
@writer_required
def close(quiz_id: int):
    quiz = builder.require_quiz(g.admin, quiz_id, write=True)
    try:
        ended = builder.close(quiz)
    except AppError as refusal:
        flash(refusal.message)
    else:
        flash(f"已结束“{quiz.title}”" + (f"，{ended} 份未交的答卷将自动交卷评分" if ended else ""))
    return redirect(url_for("quizzes.detail", quiz_id=quiz.id))


@bp.route("/<int:quiz_id>/results.xlsx")
@admin_required
def results_export(quiz_id: int):
    quiz = builder.require_quiz(g.admin, quiz_id)
    record("quiz.export", "quiz", entity_id=quiz.id, label=f"{quiz.title} 成绩", org_id=quiz.org_id)
    return send_xlsx(results_workbook(results.results(quiz)), f"成绩-{quiz.title}.xlsx")


@bp.route("/<int:quiz_id>/screen")
@admin_required
def screen(quiz_id: int):
    quiz = builder.require_quiz(g.admin, quiz_id)
    return render_template("quizzes/screen.html", quiz=quiz, refresh=SCREEN_REFRESH)


@bp.route("/<int:quiz_id>/screen/board")
@admin_required
def screen_board(quiz_id: int):
    """The standings, polled by the screen every few seconds."""
    quiz = builder.require_quiz(g.admin, quiz_id)
    standings, submitted, answering = contest.contest_board(quiz)
    return render_template(
        "quizzes/_board.html", quiz=quiz, standings=standings, submitted=submitted, answering=answering
    )
