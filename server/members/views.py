"""Admin pages of the member register: list, detail, edit, transfer, Excel import and export, invites."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for

from server.admin.access import admin_required, id_arg, load_form, page_number, writer_required
from server.audit.services import record
from server.auth import member_services
from server.auth.models import WechatBinding
from server.auth.scope import require_member, require_org
from server.db import db
from server.errors import AppError, PermissionDenied
from server.meetings.codes import qr_png_base64
from server.members import excel, imports, services
from server.members.models import (
    DUES_CATEGORY_LABELS,
    EDUCATION_CHOICES,
    GENDER_LABELS,
    STATUS_LABELS,
    DuesCategory,
    Member,
    MemberImport,
    MemberStatus,
)
from server.members.schemas import MemberInputSchema, MemberUpdateSchema, clean_member_data, fen_to_yuan
from server.members.tasks import run_member_import
from server.orgs import services as org_services
from server.orgs.models import Organisation, OrgKind
from server.spreadsheets import XLSX_MAX_BYTES, XLSX_TOO_LARGE, send_xlsx
from server.tasks import enqueue_after_commit
from server.uploads import FORM_OVERHEAD, read_upload, upload_limit

bp = Blueprint("members", __name__, url_prefix="/admin/members", template_folder="templates")

PER_PAGE = 20


def _filter_from_args() -> services.MemberFilter:
    args = request.args

    def enum_arg(name, enum_cls):
        try:
            return enum_cls(args[name]) if args.get(name) else None
        except ValueError:
            return None

    return services.MemberFilter(
        scope_path=g.admin.scope_path,
        q=args.get("q") or None,
        org_id=id_arg("org_id"),
        status=enum_arg("status", MemberStatus),
        dues_category=enum_arg("dues_category", DuesCategory),
        sort=args.get("sort", "name"),
    )


def _orgs_in_scope(kind: OrgKind | None = None) -> list[Organisation]:
    query = org_services.live_orgs_under(g.admin.scope_path).order_by(org_services.tree_order())
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    return list(db.session.scalars(query))


def _choices() -> dict:
    """Option lists for filters and forms, as (value, label) pairs."""
    scope_orgs = _orgs_in_scope()
    branches = [org for org in scope_orgs if org.kind is OrgKind.BRANCH]
    top = min((org.depth for org in scope_orgs), default=0)
    return {
        "genders": GENDER_LABELS,
        "statuses": STATUS_LABELS,
        "categories": DUES_CATEGORY_LABELS,
        "branches": branches,
        "options": {
            "gender": [(key.value, label) for key, label in GENDER_LABELS.items()],
            "status": [(key.value, label) for key, label in STATUS_LABELS.items()],
            "dues_category": [(key.value, label) for key, label in DUES_CATEGORY_LABELS.items()],
            "education": [(value, value) for value in EDUCATION_CHOICES],
            "org_id": [(org.id, org.name) for org in branches],
            "filter_org": [
                (org.id, "\u3000" * (org.depth - top) + org.name) for org in scope_orgs if org.kind is not OrgKind.GROUP
            ],
            "group_id": [(org.id, org.name) for org in scope_orgs if org.kind is OrgKind.GROUP],
        },
    }


def _member(member_id: int, *, write: bool = False):
    return require_member(g.admin, services.get_member(member_id), write=write)


@bp.route("/")
@admin_required
def index():
    flt = _filter_from_args()
    page = page_number()
    members, total = services.list_members(flt, page, PER_PAGE)
    # htmx asks for the results table alone when a filter changes; a normal visit gets the whole page.
    template = "members/_results.html" if request.headers.get("HX-Request") else "members/list.html"
    return render_template(template, members=members, total=total, page=page, per_page=PER_PAGE, flt=flt, **_choices())


@bp.route("/export.xlsx")
@admin_required
def export():
    flt = _filter_from_args()
    reveal = request.args.get("reveal") == "1"
    if reveal and not g.admin.role.can_write:
        raise PermissionDenied("只有支部书记及以上可以导出完整的身份证号和手机号")
    content = excel.export_workbook(services.iter_members(flt), _bound_member_ids(flt), reveal=reveal)
    record(
        "member.export",
        "member",
        org_id=g.admin.org_id,
        label="党员名册",
        detail={"filter": request.args.to_dict(), "reveal_personal_data": reveal},
    )
    return send_xlsx(content, "党员名册.xlsx")


def _bound_member_ids(flt: services.MemberFilter) -> set[int]:
    # Only the exported members: the whole deployment's bindings would be 140,000 ids per export.
    query = sa.select(WechatBinding.member_id).join(Member, Member.id == WechatBinding.member_id)
    return set(db.session.scalars(query.where(*flt.where())))


@bp.route("/new", methods=["GET", "POST"])
@writer_required
def create():
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(MemberInputSchema(), request.form)
        if data is not None:
            require_org(g.admin, org_services.get_org(data["org_id"]), write=True)
            try:
                member = services.create_member(clean_member_data(data))
            except AppError as exc:
                errors = exc.fields or {"": [exc.message]}
            else:
                flash(f"已添加党员{member.name}")
                return redirect(url_for("members.detail", member_id=member.id))
    return render_template("members/form.html", member=None, form=request.form, errors=errors, **_choices()), (
        422 if errors else 200
    )


@bp.route("/<int:member_id>")
@admin_required
def detail(member_id: int):
    member = _member(member_id)
    return render_template(
        "members/detail.html",
        member=member,
        binding=member_services.binding_of(member),
        transfers=services.transfers_of(member),
        labels={"gender": GENDER_LABELS, "status": STATUS_LABELS, "category": DUES_CATEGORY_LABELS},
        branches=_orgs_in_scope(OrgKind.BRANCH),
    )


@bp.route("/<int:member_id>/edit", methods=["GET", "POST"])
@writer_required
def edit(member_id: int):
    member = _member(member_id, write=True)
    errors: dict = {}
    form = request.form if request.method == "POST" else _form_values(member)
    if request.method == "POST":
        data, errors = load_form(MemberUpdateSchema(), request.form, partial=True)
        if data is not None:
            for secret in ("id_card", "phone"):  # masked in the form; blank means "unchanged"
                if not request.form.get(secret):
                    data.pop(secret, None)
            try:
                services.update_member(member, clean_member_data(data))
            except AppError as exc:
                errors = exc.fields or {"": [exc.message]}
            else:
                flash("已保存")
                return redirect(url_for("members.detail", member_id=member.id))
    return render_template("members/form.html", member=member, form=form, errors=errors, **_choices()), (
        422 if errors else 200
    )


def _form_values(member) -> dict:
    values = {key: getattr(member, key) for key in MemberUpdateSchema().fields if hasattr(member, key)}
    values.update(
        gender=member.gender.value,
        status=member.status.value,
        dues_category=member.dues_category.value,
        dues_base_yuan=fen_to_yuan(member.dues_base_fen),
        id_card="",
        phone="",
    )
    return {key: "" if value is None else value for key, value in values.items()}


@bp.route("/<int:member_id>/move", methods=["POST"])
@writer_required
def move(member_id: int):
    member = _member(member_id, write=True)
    target = require_org(g.admin, org_services.get_org(request.form.get("org_id", type=int) or 0), write=True)
    services.move_member(member, target, request.form.get("reason", "")[:200])
    flash(f"已将{member.name}转到{target.name}")
    return redirect(url_for("members.detail", member_id=member.id))


@bp.route("/<int:member_id>/invite", methods=["POST"])
@writer_required
def invite(member_id: int):
    member = _member(member_id, write=True)
    invite_code, code = member_services.issue_invite_code(member, g.admin.id)
    # The QR travels inside the page: in a URL of its own the code would sit in access logs and history.
    qr = qr_png_base64(f"edangwu-invite:{code}")
    return render_template("members/invite.html", member=member, invite=invite_code, code=code, qr=qr)


@bp.route("/<int:member_id>/revoke-sessions", methods=["POST"])
@writer_required
def revoke_sessions(member_id: int):
    member = _member(member_id, write=True)
    count = member_services.revoke_sessions(member)
    record("member.revoke_sessions", "member", entity_id=member.id, label=member.name, org_id=member.org_id)
    flash(f"已让{member.name}的 {count} 个登录失效")
    return redirect(url_for("members.detail", member_id=member.id))


@bp.route("/<int:member_id>/unbind", methods=["POST"])
@writer_required
def unbind(member_id: int):
    member = _member(member_id, write=True)
    member_services.unbind(member)
    flash(f"已解除{member.name}的微信绑定")
    return redirect(url_for("members.detail", member_id=member.id))


@bp.route("/import")
@writer_required
def import_form():
    recent = db.session.scalars(
        sa.select(MemberImport)
        .where(MemberImport.created_by_id == g.admin.id)
        .order_by(MemberImport.id.desc())
        .limit(10)
    ).all()
    return render_template("members/import.html", recent=recent)


@bp.route("/import/template.xlsx")
@writer_required
def import_template():
    directory = imports.BranchDirectory(g.admin.scope_path)
    content = excel.template_workbook(directory.labels())
    return send_xlsx(content, "党员名册导入模板.xlsx")


@bp.route("/import", methods=["POST"])
@upload_limit(XLSX_MAX_BYTES + FORM_OVERHEAD, XLSX_TOO_LARGE)
@writer_required
def import_upload():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise AppError("no_file", "请选择要导入的 Excel 文件")
    if not upload.filename.lower().endswith(".xlsx"):
        raise AppError("not_excel", "请上传 .xlsx 格式的 Excel 文件（可先下载模板）")
    content = read_upload(upload, XLSX_MAX_BYTES, XLSX_TOO_LARGE)
    # The rows may go anywhere the template offered: the account's whole scope (all of it for a superadmin).
    scope_org = None if g.admin.scope_path == "/" else g.admin.org
    job = imports.start_import(upload.filename, content, scope_org, g.admin.id)
    enqueue_after_commit(run_member_import, job.id)
    return redirect(url_for("members.import_status", import_id=job.id))


def _import_of_admin(import_id: int) -> MemberImport:
    job = db.session.get(MemberImport, import_id)
    if job is None or job.created_by_id != g.admin.id:
        abort(404)
    return job


@bp.route("/import/<int:import_id>")
@writer_required
def import_status(import_id: int):
    job = _import_of_admin(import_id)
    # htmx polls the progress block alone until the job has finished.
    template = "members/_import_progress.html" if request.headers.get("HX-Request") else "members/import_status.html"
    return render_template(template, job=job)


@bp.route("/import/<int:import_id>.json")
@writer_required
def import_progress(import_id: int):
    job = _import_of_admin(import_id)
    return jsonify(
        id=job.id,
        status=job.status.value,
        total_rows=job.total_rows,
        processed_rows=job.processed_rows,
        created_count=job.created_count,
        errors=job.errors or [],
        message=job.message,
        finished=job.finished,
    )
