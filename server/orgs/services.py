"""Operations on the organisation tree. They flush, never commit: the request or job commits once."""

from __future__ import annotations

import sqlalchemy as sa

from server.db import db, utcnow
from server.errors import AppError, NotFound
from server.orgs.models import (
    ALLOWED_PARENTS,
    MAX_POSITION,
    ORG_KIND_LABELS,
    Organisation,
    OrgKind,
    tree_key_of,
)


def get_org(org_id: int) -> Organisation:
    org = db.session.get(Organisation, org_id)
    if org is None or org.dissolved_at is not None:
        raise NotFound("组织不存在或已撤销")
    return org


def within(path: str) -> sa.ColumnElement[bool]:
    """``Organisation`` lies in the subtree rooted at ``path`` (the root included): one indexed prefix scan.

    Paths end in "/", so "/1/2/" never matches "/1/23/".
    """
    if not path.endswith("/"):
        raise ValueError(f"an organisation path ends with '/': {path!r}")
    return Organisation.path.startswith(path)


def tree_order(entity: type[Organisation] = Organisation) -> sa.ColumnElement[str]:
    """The order in which organisations are listed and offered everywhere: depth-first, each parent just
    before its children, siblings by the position their secretaries gave them (creation order unless
    moved). ``entity`` may be an alias of ``Organisation`` in a query that joins it twice.

    It is a materialised key (``Organisation.tree_key``), kept by :func:`create_org`, :func:`move_org`
    and :func:`shift_org`: ordering by it costs no recursion and no join, whatever the query. Rows
    already loaded sort in Python by ``org.tree_key``, the same value.
    """
    return entity.tree_key


def live_orgs_under(path: str) -> sa.Select:
    """Live organisations in the subtree rooted at ``path`` (the root included)."""
    return sa.select(Organisation).where(within(path), Organisation.dissolved_at.is_(None))


def subtree_ids(path: str) -> sa.Select:
    """Ids of every organisation (dissolved too) under ``path``: history stays in scope after dissolving."""
    return sa.select(Organisation.id).where(within(path))


def _check_placement(kind: OrgKind, parent: Organisation | None) -> None:
    if (parent.kind if parent else None) not in ALLOWED_PARENTS[kind]:
        where = ORG_KIND_LABELS[parent.kind] if parent else "最顶层"
        raise AppError("invalid_parent", f"{ORG_KIND_LABELS[kind]}不能设在{where}下")


def _check_name_free(name: str, parent: Organisation | None, exclude_id: int | None = None) -> None:
    query = sa.select(Organisation.id).where(
        Organisation.parent_id == (parent.id if parent else None),
        Organisation.name == name,
        Organisation.dissolved_at.is_(None),
    )
    if parent is None:
        query = query.where(Organisation.parent_id.is_(None))
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise AppError("duplicate_name", f"同一上级下已有名为“{name}”的组织")


def _next_position(parent: Organisation | None) -> int:
    """Last place among ``parent``'s children; dissolved ones count, so no two keys are ever equal."""
    query = sa.select(sa.func.max(Organisation.sort_order)).where(
        Organisation.parent_id.is_(None) if parent is None else Organisation.parent_id == parent.id
    )
    last = db.session.scalar(query)
    position = 0 if last is None else last + 1
    if position > MAX_POSITION:
        raise AppError("too_many_siblings", "同一上级下的组织过多，无法再添加")
    return position


def create_org(name: str, kind: OrgKind, parent: Organisation | None) -> Organisation:
    """A new organisation, listed after its existing siblings."""
    name = name.strip()
    _check_placement(kind, parent)
    _check_name_free(name, parent)
    position = _next_position(parent)
    org = Organisation(
        name=name,
        kind=kind,
        parent=parent,
        depth=parent.depth + 1 if parent else 0,
        sort_order=position,
        tree_key=tree_key_of(parent.tree_key if parent else "", position),
    )
    db.session.add(org)
    db.session.flush()  # the id is the path segment
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    db.session.flush()
    return org


def rename_org(org: Organisation, name: str) -> Organisation:
    name = name.strip()
    _check_name_free(name, org.parent, exclude_id=org.id)
    org.name = name
    db.session.flush()
    return org


def _replace_prefix(column: sa.ColumnElement[str], old: str, new: str) -> sa.ColumnElement[str]:
    return sa.literal(new, sa.String) + sa.func.substr(column, len(old) + 1)


def move_org(org: Organisation, new_parent: Organisation) -> Organisation:
    """Move ``org`` with its whole subtree under ``new_parent``, after the children already there."""
    if org.contains(new_parent):
        raise AppError("move_into_self", "不能把组织移动到它自己或它的下级组织之下")
    _check_placement(org.kind, new_parent)
    _check_name_free(org.name, new_parent, exclude_id=org.id)
    if new_parent.id == org.parent_id:
        return org
    old_path, new_path = org.path, f"{new_parent.path}{org.id}/"
    position = _next_position(new_parent)
    old_key, new_key = org.tree_key, tree_key_of(new_parent.tree_key, position)
    depth_shift = new_parent.depth + 1 - org.depth
    org.parent = new_parent
    org.sort_order = position
    db.session.flush()
    # One statement rewrites the subtree; children keep their suffix below the moved node.
    db.session.execute(
        sa.update(Organisation)
        .where(Organisation.path.startswith(old_path))
        .values(
            path=_replace_prefix(Organisation.path, old_path, new_path),
            tree_key=_replace_prefix(Organisation.tree_key, old_key, new_key),
            depth=Organisation.depth + depth_shift,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    return org


def live_siblings(org: Organisation) -> list[Organisation]:
    """``org`` and the other live children of its parent, in their order."""
    parent = Organisation.parent_id.is_(None) if org.parent_id is None else Organisation.parent_id == org.parent_id
    query = sa.select(Organisation).where(parent, Organisation.dissolved_at.is_(None))
    return list(db.session.scalars(query.order_by(Organisation.sort_order, Organisation.id)))


def shift_org(org: Organisation, step: int) -> Organisation:
    """Move ``org`` one place up (``step`` -1) or down (+1) among its live siblings, with its subtree.

    The two neighbours swap positions; each is audited as a 调整排序 of its own row. Their subtrees
    swap key prefixes in one statement (a prefix is the same length at one level), which is at most
    the two subtrees' rows.
    """
    if step not in (-1, 1):
        raise ValueError(f"step is -1 or 1: {step!r}")
    siblings = live_siblings(org)
    index = next(i for i, sibling in enumerate(siblings) if sibling.id == org.id)
    if not 0 <= index + step < len(siblings):
        raise AppError("cannot_shift", "已经排在同级组织的最前面" if step < 0 else "已经排在同级组织的最后面")
    other = siblings[index + step]
    org_path, org_key, other_key = org.path, org.tree_key, other.tree_key
    paths = (org_path, other.path)
    org.sort_order, other.sort_order = other.sort_order, org.sort_order
    org.audit_step = other.audit_step = "reorder"  # type: ignore[attr-defined]
    db.session.flush()
    db.session.execute(
        sa.update(Organisation)
        .where(sa.or_(*(Organisation.path.startswith(path) for path in paths)))
        .values(
            tree_key=sa.case(
                (Organisation.path.startswith(org_path), _replace_prefix(Organisation.tree_key, org_key, other_key)),
                else_=_replace_prefix(Organisation.tree_key, other_key, org_key),
            )
        )
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    return org


def dissolve_org(org: Organisation) -> Organisation:
    """Dissolve an organisation that has no live sub-organisation and no member."""
    from server.members.models import Member  # members depend on orgs, not the other way round

    if org.parent_id is None:
        raise AppError("dissolve_root", "不能撤销最顶层的党委")
    has_children = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Organisation)
        .where(Organisation.parent_id == org.id, Organisation.dissolved_at.is_(None))
    )
    if has_children:
        raise AppError("org_not_empty", "该组织下还有下级组织，不能撤销")
    has_members = db.session.scalar(
        sa.select(sa.func.count()).select_from(Member).where((Member.org_id == org.id) | (Member.group_id == org.id))
    )
    if has_members:
        raise AppError("org_not_empty", "该组织还有党员，请先转移党员再撤销")
    org.dissolved_at = utcnow()
    db.session.flush()
    return org


def member_counts(root: Organisation) -> dict[int, int]:
    """Members of each organisation under ``root``, its whole subtree counted.

    A member belongs to a branch and perhaps to one of its groups: the branch's count (and its
    ancestors') comes from ``org_id``, a group's own from ``group_id``.
    """
    from server.members.models import Member

    in_subtree = subtree_ids(root.path)
    by_branch = db.session.execute(
        sa.select(Member.org_id, sa.func.count()).where(Member.org_id.in_(in_subtree)).group_by(Member.org_id)
    ).all()
    by_group = db.session.execute(
        sa.select(Member.group_id, sa.func.count()).where(Member.group_id.in_(in_subtree)).group_by(Member.group_id)
    ).all()
    paths = dict(db.session.execute(sa.select(Organisation.id, Organisation.path).where(within(root.path))).all())
    counts: dict[int, int] = dict(by_group)
    for org_id, count in by_branch:
        for segment in (paths.get(org_id) or "").strip("/").split("/"):
            if segment and int(segment) in paths:
                counts[int(segment)] = counts.get(int(segment), 0) + count
    return counts


def parent_choices(org: Organisation, candidates: list[Organisation]) -> list[Organisation]:
    """Of ``candidates`` (what the admin sees), those ``org`` could be moved under: of a kind that may
    hold it, outside its own subtree, and not where it already is."""
    return [
        target
        for target in candidates
        if target.kind in ALLOWED_PARENTS[org.kind] and not org.contains(target) and target.id != org.parent_id
    ]


def tree(root: Organisation) -> list[Organisation]:
    """The live subtree of ``root`` in display order (:func:`tree_order`)."""
    return list(db.session.scalars(live_orgs_under(root.path).order_by(tree_order())))
