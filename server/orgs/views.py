"""Admin pages of the organisation tree."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from server.admin.access import admin_required, load_form, writer_required
from server.auth.scope import require_org, scope_roots
from server.errors import ValidationFailed
from server.orgs import services
from server.orgs.models import ALLOWED_PARENTS, ORG_KIND_LABELS, Organisation, OrgKind
from server.orgs.schemas import OrgCreateSchema, OrgMoveSchema, OrgRenameSchema

bp = Blueprint("orgs", __name__, url_prefix="/admin/orgs", template_folder="templates")


def _form(schema) -> dict:
    data, errors = load_form(schema, request.form)
    if errors:
        raise ValidationFailed(errors)
    return data  # type: ignore[return-value]


def _org_in_scope(org_id: int, *, write: bool = True) -> Organisation:
    return require_org(g.admin, services.get_org(org_id), write=write)


@bp.route("/")
@admin_required
def tree():
    nodes = [node for root in scope_roots(g.admin) for node in services.tree(root)]
    parent_kinds = {node.kind for node in nodes}
    # Offer only the kinds that can go under one of the organisations shown, the usual one first.
    kinds = {
        kind: label
        for kind, label in sorted(ORG_KIND_LABELS.items(), key=lambda item: item[0] is not OrgKind.BRANCH)
        if ALLOWED_PARENTS[kind] & parent_kinds
    }
    return render_template("orgs/tree.html", nodes=nodes, kinds=kinds)


@bp.route("/", methods=["POST"])
@writer_required
def create():
    data = _form(OrgCreateSchema())
    parent = _org_in_scope(data["parent_id"])
    org = services.create_org(data["name"], data["kind"], parent)
    flash(f"已创建{org.kind_label}“{org.name}”")
    return redirect(url_for("orgs.tree"))


@bp.route("/<int:org_id>/rename", methods=["POST"])
@writer_required
def rename(org_id: int):
    org = services.rename_org(_org_in_scope(org_id), _form(OrgRenameSchema())["name"])
    flash(f"已改名为“{org.name}”")
    return redirect(url_for("orgs.tree"))


@bp.route("/<int:org_id>/move", methods=["POST"])
@writer_required
def move(org_id: int):
    org = _org_in_scope(org_id)
    if org.path == g.admin.scope_path:
        raise ValidationFailed({"parent_id": ["不能移动您所管理的最上级组织"]})
    new_parent = _org_in_scope(_form(OrgMoveSchema())["parent_id"])
    services.move_org(org, new_parent)
    flash(f"已将“{org.name}”及其下级组织移到“{new_parent.name}”下")
    return redirect(url_for("orgs.tree"))


@bp.route("/<int:org_id>/dissolve", methods=["POST"])
@writer_required
def dissolve(org_id: int):
    org = _org_in_scope(org_id)
    if org.path == g.admin.scope_path:
        raise ValidationFailed({"org": ["不能撤销您所管理的最上级组织"]})
    services.dissolve_org(org)
    flash(f"已撤销“{org.name}”")
    return redirect(url_for("orgs.tree"))
