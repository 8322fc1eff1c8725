"""Admin pages of the organisation tree: the tree at a glance, one page per organisation for changes."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from server.admin.access import admin_required, load_form, writer_required
from server.auth.scope import require_org, scope_roots
from server.errors import AppError, ValidationFailed
from server.orgs import services
from server.orgs.models import ALLOWED_PARENTS, ORG_KIND_LABELS, Organisation, OrgKind
from server.orgs.schemas import OrgCreateSchema, OrgMoveSchema, OrgRenameSchema, OrgShiftSchema

bp = Blueprint("orgs", __name__, url_prefix="/admin/orgs", template_folder="templates")


def _form(schema) -> dict:
    data, errors = load_form(schema, request.form)
    if errors:
        raise ValidationFailed(errors)
    return data  # type: ignore[return-value]


def _org_in_scope(org_id: int, *, write: bool = True) -> Organisation:
    return require_org(g.admin, services.get_org(org_id), write=write)


def _is_scope_top(org: Organisation) -> bool:
    """The organisation the admin is set over: only the level above may move, reorder or dissolve it."""
    return org.path == g.admin.scope_path


def _visible_tree() -> list[Organisation]:
    return [node for root in scope_roots(g.admin) for node in services.tree(root)]


def _sibling_places(nodes: list[Organisation]) -> dict[int, tuple[bool, bool]]:
    """For each organisation shown: (has a live sibling before it, has one after it)."""
    by_parent: dict[int | None, list[int]] = {}
    for node in nodes:  # tree order: siblings come in their order
        by_parent.setdefault(node.parent_id, []).append(node.id)
    return {org_id: (index > 0, index < len(ids) - 1) for ids in by_parent.values() for index, org_id in enumerate(ids)}


@bp.route("/")
@admin_required
def tree():
    nodes = _visible_tree()
    parent_kinds = {node.kind for node in nodes}
    # Offer only the kinds that can go under one of the organisations shown, the usual one first.
    kinds = {
        kind: label
        for kind, label in sorted(ORG_KIND_LABELS.items(), key=lambda item: item[0] is not OrgKind.BRANCH)
        if ALLOWED_PARENTS[kind] & parent_kinds
    }
    counts = {org_id: n for root in scope_roots(g.admin) for org_id, n in services.member_counts(root).items()}
    return render_template(
        "orgs/tree.html", nodes=nodes, kinds=kinds, counts=counts, places=_sibling_places(nodes), top=_is_scope_top
    )


@bp.route("/<int:org_id>")
@admin_required
def detail(org_id: int):
    org = _org_in_scope(org_id, write=False)
    nodes = _visible_tree()
    subtree = [node for node in nodes if org.contains(node)]
    siblings = services.live_siblings(org)
    place = next(index for index, sibling in enumerate(siblings) if sibling.id == org.id)
    return render_template(
        "orgs/detail.html",
        org=org,
        ancestors=[node for node in nodes if node.contains(org) and node.id != org.id],
        children=[node for node in subtree if node.parent_id == org.id],
        members=services.member_counts(org).get(org.id, 0),
        place=place,
        siblings=siblings,
        parents=[] if _is_scope_top(org) else services.parent_choices(org, nodes),
        top=_is_scope_top(org),
    )


@bp.route("/", methods=["POST"])
@writer_required
def create():
    data = _form(OrgCreateSchema())
    parent = _org_in_scope(data["parent_id"])
    org = services.create_org(data["name"], data["kind"], parent)
    flash(f"已创建{org.kind_label}“{org.name}”")
    return redirect(url_for("orgs.tree", _anchor=f"org-{org.id}"))


@bp.route("/<int:org_id>/rename", methods=["POST"])
@writer_required
def rename(org_id: int):
    org = services.rename_org(_org_in_scope(org_id), _form(OrgRenameSchema())["name"])
    flash(f"已改名为“{org.name}”")
    return redirect(url_for("orgs.detail", org_id=org.id))


@bp.route("/<int:org_id>/shift", methods=["POST"])
@writer_required
def shift(org_id: int):
    org = _org_in_scope(org_id)
    data = _form(OrgShiftSchema())
    if _is_scope_top(org):
        raise AppError("scope_top", "您所管理的最上级组织的排序由上级党组织调整")
    services.shift_org(org, -1 if data["direction"] == "up" else 1)
    flash(f"已将“{org.name}”{'上移' if data['direction'] == 'up' else '下移'}一位")
    if data["back"] == "detail":
        return redirect(url_for("orgs.detail", org_id=org.id))
    return redirect(url_for("orgs.tree", _anchor=f"org-{org.id}"))


@bp.route("/<int:org_id>/move", methods=["POST"])
@writer_required
def move(org_id: int):
    org = _org_in_scope(org_id)
    if _is_scope_top(org):
        raise ValidationFailed({"parent_id": ["不能移动您所管理的最上级组织"]})
    new_parent = _org_in_scope(_form(OrgMoveSchema())["parent_id"])
    services.move_org(org, new_parent)
    flash(f"已将“{org.name}”及其下级组织移到“{new_parent.name}”下")
    return redirect(url_for("orgs.detail", org_id=org.id))


@bp.route("/<int:org_id>/dissolve", methods=["POST"])
@writer_required
def dissolve(org_id: int):
    org = _org_in_scope(org_id)
    if _is_scope_top(org):
        raise ValidationFailed({"org": ["不能撤销您所管理的最上级组织"]})
    services.dissolve_org(org)
    flash(f"已撤销“{org.name}”")
    return redirect(url_for("orgs.tree"))
