"""Operations on the organisation tree. They flush, never commit: the request or job commits once."""

from __future__ import annotations

import sqlalchemy as sa

from server.db import db, utcnow
from server.errors import AppError, NotFound
from server.orgs.models import ALLOWED_PARENTS, ORG_KIND_LABELS, Organisation, OrgKind


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


def create_org(name: str, kind: OrgKind, parent: Organisation | None) -> Organisation:
    name = name.strip()
    _check_placement(kind, parent)
    _check_name_free(name, parent)
    org = Organisation(name=name, kind=kind, parent=parent, depth=parent.depth + 1 if parent else 0)
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


def move_org(org: Organisation, new_parent: Organisation) -> Organisation:
    """Move ``org`` with its whole subtree under ``new_parent``."""
    if org.contains(new_parent):
        raise AppError("move_into_self", "不能把组织移动到它自己或它的下级组织之下")
    _check_placement(org.kind, new_parent)
    _check_name_free(org.name, new_parent, exclude_id=org.id)
    old_path, new_path = org.path, f"{new_parent.path}{org.id}/"
    depth_shift = new_parent.depth + 1 - org.depth
    org.parent = new_parent
    db.session.flush()
    # One statement rewrites the subtree; children keep their suffix below the moved node.
    db.session.execute(
        sa.update(Organisation)
        .where(Organisation.path.startswith(old_path))
        .values(
            path=sa.literal(new_path, sa.String) + sa.func.substr(Organisation.path, len(old_path) + 1),
            depth=Organisation.depth + depth_shift,
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


def tree(root: Organisation) -> list[Organisation]:
    """The live subtree of ``root`` in display order (depth-first by path)."""
    return list(db.session.scalars(live_orgs_under(root.path).order_by(Organisation.path)))
