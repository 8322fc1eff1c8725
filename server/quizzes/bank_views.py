"""Admin pages of question banks: the list, one bank's questions, adding and editing a question, switching
it off, and Excel import (template, per-row errors, all or nothing) and export. Routes on the quizzes
blueprint. A bank of an organisation above the admin is shown read-only."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for

from server.admin.access import admin_required, page_number, writer_required
from server.audit.services import record
from server.auth.scope import can_see_org, require_org
from server.db import db
from server.errors import AppError
from server.orgs import services as org_services
from server.quizzes import bank_excel, bank_import, banks
from server.quizzes.models import MAX_OPTIONS, QUESTION_KIND_LABELS, Question, QuestionBank, QuestionKind
from server.quizzes.views import bp
from server.spreadsheets import send_xlsx
from server.uploads import FORM_OVERHEAD, read_upload, upload_limit

PER_PAGE = 50
OPTION_FIELDS = [f"option_{letter}" for letter in banks.LETTERS[:MAX_OPTIONS]]


@bp.route("/banks")
@admin_required
def bank_list():
    listed = db.session.scalars(banks.banks_for(g.admin).order_by(QuestionBank.org_id, QuestionBank.name)).all()
    counts = banks.active_counts([bank.id for bank in listed])
    totals = dict(
        db.session.execute(
            sa.select(Question.bank_id, sa.func.count())
            .where(Question.bank_id.in_([bank.id for bank in listed]))
            .group_by(Question.bank_id)
        )
        .tuples()
        .all()
    )
    in_scope = org_services.live_orgs_under(g.admin.scope_path)
    orgs = list(db.session.scalars(in_scope.order_by(org_services.tree_order())))
    return render_template(
        "quizzes/banks.html",
        banks=listed,
        counts=counts,
        totals=totals,
        orgs=[org for org in orgs if org.kind.value != "group"],
        own={bank.id for bank in listed if can_see_org(g.admin, bank.org)},
    )


@bp.route("/banks", methods=["POST"])
@writer_required
def create_bank():
    org = require_org(g.admin, org_services.get_org(id_arg_form("org_id")), write=True)
    try:
        bank = banks.create_bank(org, request.form.get("name") or "", request.form.get("description") or "", g.admin.id)
    except AppError as refusal:
        flash(refusal.message)
        return redirect(url_for("quizzes.bank_list"))
    flash(f"已新建题库“{bank.name}”：可逐题添加，或用 Excel 批量导入")
    return redirect(url_for("quizzes.bank_detail", bank_id=bank.id))


def id_arg_form(name: str) -> int:
    try:
        value = int(request.form.get(name) or 0)
    except ValueError:
        value = 0
    return value if 0 < value < 2**31 else 0


@bp.route("/banks/<int:bank_id>")
@admin_required
def bank_detail(bank_id: int):
    bank = banks.require_bank(g.admin, bank_id)
    query = sa.select(Question).where(Question.bank_id == bank.id)
    kind = request.args.get("kind") or ""
    if kind in QuestionKind._value2member_map_:
        query = query.where(Question.kind == QuestionKind(kind))
    q = (request.args.get("q") or "").strip()[:50]
    if q:
        query = query.where(Question.stem.contains(q, autoescape=True))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    page = page_number()
    questions = db.session.scalars(
        query.order_by(Question.active.desc(), Question.id).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "quizzes/bank.html",
        bank=bank,
        questions=questions,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        kind=kind,
        q=q,
        kinds=QUESTION_KIND_LABELS,
        letters=banks.LETTERS,
        writable=g.admin.role.can_write and can_see_org(g.admin, bank.org),
        answer_text=banks.answer_text,
        form={},
        errors={},
        option_fields=OPTION_FIELDS,
    )


def _clean_from_form():
    form = request.form
    return banks.clean_question(
        form.get("kind"),
        form.get("stem"),
        [form.get(name) for name in OPTION_FIELDS],
        form.get("answer"),
        form.get("explanation"),
        form.get("tags"),
    )


@bp.route("/banks/<int:bank_id>/questions", methods=["POST"])
@writer_required
def add_question(bank_id: int):
    bank = banks.require_bank(g.admin, bank_id, write=True)
    try:
        clean = _clean_from_form()
    except banks.QuestionProblem as problem:
        flash(f"题目未添加：{problem.message}")
        return redirect(url_for("quizzes.bank_detail", bank_id=bank.id))
    banks.add_question(bank, clean)
    db.session.flush()
    flash("已添加一道题")
    return redirect(url_for("quizzes.bank_detail", bank_id=bank.id))


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@writer_required
def edit_question(question_id: int):
    question = banks.require_question(g.admin, question_id, write=True)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            banks.update_question(question, _clean_from_form())
        except banks.QuestionProblem as problem:
            errors[problem.field] = problem.message
        except AppError as refusal:
            errors["_schema"] = refusal.message
        else:
            flash("已保存题目")
            return redirect(url_for("quizzes.bank_detail", bank_id=question.bank_id))
    form = request.form if request.method == "POST" else _question_values(question)
    return render_template(
        "quizzes/question_form.html",
        question=question,
        form=form,
        errors=errors,
        kinds=QUESTION_KIND_LABELS,
        option_fields=OPTION_FIELDS,
        letters=banks.LETTERS,
    ), (400 if errors else 200)


def _question_values(question: Question) -> dict[str, str]:
    values = {
        "kind": question.kind.value,
        "stem": question.stem,
        "answer": banks.answer_text(question),
        "explanation": question.explanation,
        "tags": "，".join(question.tags or []),
    }
    for name, text in zip(OPTION_FIELDS, question.options, strict=False):
        values[name] = text
    return values


@bp.route("/questions/<int:question_id>/active", methods=["POST"])
@writer_required
def toggle_question(question_id: int):
    question = banks.require_question(g.admin, question_id, write=True)
    banks.set_active(question, request.form.get("active") == "1")
    flash("已启用该题" if question.active else "已停用该题：新抽的试卷不再包含它，已发出的试卷不受影响")
    return redirect(url_for("quizzes.bank_detail", bank_id=question.bank_id))


@bp.route("/banks/template.xlsx")
@writer_required
def bank_template():
    record("question_bank.template", "question_bank", label="题库导入模板", org_id=g.admin.org_id)
    return send_xlsx(bank_excel.template(), "题库导入模板.xlsx")


@bp.route("/banks/<int:bank_id>/import", methods=["POST"])
@upload_limit(bank_import.MAX_BYTES + FORM_OVERHEAD, bank_import.TOO_LARGE)
@writer_required
def bank_import_upload(bank_id: int):
    bank = banks.require_bank(g.admin, bank_id, write=True)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise AppError("no_file", "请选择要导入的 Excel 文件")
    if not upload.filename.lower().endswith(".xlsx"):
        raise AppError("not_excel", "请上传 .xlsx 格式的 Excel 文件（可先下载模板）")
    content = read_upload(upload, bank_import.MAX_BYTES, bank_import.TOO_LARGE)
    outcome = bank_import.import_questions(content, bank)
    if outcome.errors:
        return render_template(
            "quizzes/import_errors.html", errors=outcome.errors, filename=upload.filename, bank=bank
        ), 400
    record(
        "question_bank.import",
        "question_bank",
        entity_id=bank.id,
        label=bank.name,
        org_id=bank.org_id,
        detail={"filename": upload.filename[:100], "questions": outcome.saved},
    )
    flash(f"已从“{upload.filename}”导入 {outcome.saved} 道题")
    return redirect(url_for("quizzes.bank_detail", bank_id=bank.id))


@bp.route("/banks/<int:bank_id>/export.xlsx")
@admin_required
def bank_export(bank_id: int):
    bank = banks.require_bank(g.admin, bank_id)
    record("question_bank.export", "question_bank", entity_id=bank.id, label=bank.name, org_id=bank.org_id)
    return send_xlsx(bank_excel.export(bank), f"题库-{bank.name}.xlsx")
