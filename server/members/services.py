"""Operations on the member register. They flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pypinyin import Style, lazy_pinyin
from sqlalchemy.orm import joinedload

from server.db import db
from server.errors import AppError, NotFound
from server.members.models import DuesCategory, Member, MemberStatus, MemberTransfer
from server.orgs.models import Organisation, OrgKind
from server.orgs.services import subtree_ids


def sort_key(name: str) -> str:
    """Pinyin of a name ("zhang san"), the order of a paper register."""
    return " ".join(lazy_pinyin(name.strip(), style=Style.NORMAL, errors="default")).lower()[:128]


def get_member(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None:
        raise NotFound("党员不存在")
    return member


def _check_branch_and_group(org: Organisation | None, group: Organisation | None) -> None:
    if org is None or org.dissolved_at is not None or org.kind is not OrgKind.BRANCH:
        raise AppError("invalid_branch", "党员必须属于一个党支部", fields={"org_id": ["请选择党支部"]})
    if group is not None and (group.kind is not OrgKind.GROUP or group.parent_id != org.id):
        raise AppError("invalid_group", "党小组必须属于该党员所在的支部", fields={"group_id": ["党小组不属于该支部"]})


def _check_id_card_free(id_card: str | None, exclude_id: int | None = None) -> None:
    if not id_card:
        return
    query = sa.select(Member.id).where(Member.id_card == id_card)
    if exclude_id is not None:
        query = query.where(Member.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise AppError("duplicate_id_card", "该身份证号已登记在册", fields={"id_card": ["该身份证号已登记在册"]})


def create_member(data: dict[str, Any]) -> Member:
    """Add a member from cleaned input (see ``schemas.clean_member_data``)."""
    org = db.session.get(Organisation, data["org_id"])
    group = db.session.get(Organisation, data["group_id"]) if data.get("group_id") else None
    _check_branch_and_group(org, group)
    _check_id_card_free(data.get("id_card"))
    member = Member(**data, name_sort=sort_key(data["name"]))
    db.session.add(member)
    db.session.flush()
    return member


def update_member(member: Member, data: dict[str, Any]) -> Member:
    if "group_id" in data:
        group = db.session.get(Organisation, data["group_id"]) if data["group_id"] else None
        _check_branch_and_group(member.org, group)
    if "id_card" in data:
        _check_id_card_free(data["id_card"], exclude_id=member.id)
    for key, value in data.items():
        setattr(member, key, value)
    if "name" in data:
        member.name_sort = sort_key(member.name)
    db.session.flush()
    return member


def move_member(member: Member, new_branch: Organisation, reason: str = "") -> MemberTransfer:
    """Move a member to another branch. Their records stay theirs; the move is kept as history."""
    if new_branch.id == member.org_id:
        raise AppError("same_branch", "该党员已在这个支部")
    _check_branch_and_group(new_branch, None)
    transfer = MemberTransfer(member_id=member.id, from_org_id=member.org_id, to_org_id=new_branch.id, reason=reason)
    member.org = new_branch
    member.group = None  # groups belong to the old branch
    db.session.add(transfer)
    db.session.flush()
    return transfer


def transfers_of(member: Member) -> list[MemberTransfer]:
    return list(
        db.session.scalars(
            sa.select(MemberTransfer).where(MemberTransfer.member_id == member.id).order_by(MemberTransfer.moved_at)
        )
    )


def _covers_every_organisation(path: str) -> bool:
    """Whether the subtree at ``path`` is the whole tree, so a subtree condition would filter nothing.

    The committee's own view is the largest and most frequent; skipping the join there halves its
    time. Two index probes: is any organisation's path outside [path, path-with-last-char+1)?
    """
    if path == "/":
        return True
    upper = path[:-1] + chr(ord(path[-1]) + 1)
    outside = sa.select(Organisation.id).where((Organisation.path < path) | (Organisation.path >= upper)).limit(1)
    return db.session.scalar(outside) is None


SORTS = {
    "name": (Member.name_sort, Member.id),
    "-name": (Member.name_sort.desc(), Member.id.desc()),
    "join_date": (Member.join_date, Member.id),
    "-join_date": (Member.join_date.desc(), Member.id.desc()),
    "birth_date": (Member.birth_date, Member.id),
    "-birth_date": (Member.birth_date.desc(), Member.id.desc()),
}


@dataclass
class MemberFilter:
    """A secretary's filter over the register; ``scope_path`` is the subtree they may see."""

    scope_path: str
    q: str | None = None
    org_id: int | None = None
    status: MemberStatus | None = None
    dues_category: DuesCategory | None = None
    sort: str = "name"

    def where(self) -> list[sa.ColumnElement[bool]]:
        conditions: list[sa.ColumnElement[bool]] = []
        path = self.scope_path
        if self.org_id is not None:
            org = db.session.get(Organisation, self.org_id)
            if org is None or not (org.path or "").startswith(self.scope_path):
                return [sa.false()]  # an organisation outside the scope matches nothing
            path = org.path
        if not _covers_every_organisation(path):
            conditions.append(Member.org_id.in_(subtree_ids(path)))
        if self.q:
            term = self.q.strip()
            conditions.append(
                sa.or_(
                    Member.name.contains(term, autoescape=True),
                    Member.name_sort.startswith(term.lower(), autoescape=True),
                )
            )
        if self.status is not None:
            conditions.append(Member.status == self.status)
        if self.dues_category is not None:
            conditions.append(Member.dues_category == self.dues_category)
        return conditions


def list_members(flt: MemberFilter, page: int = 1, per_page: int = 20) -> tuple[list[Member], int]:
    """One page of members in the filter, and how many there are in all."""
    conditions = flt.where()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Member).where(*conditions)) or 0
    query = (
        sa.select(Member)
        .options(joinedload(Member.org), joinedload(Member.group))
        .where(*conditions)
        .order_by(*SORTS.get(flt.sort, SORTS["name"]))
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    )
    return list(db.session.scalars(query)), total


def iter_members(flt: MemberFilter, batch: int = 1000):
    """Every member in the filter, in order, fetched in batches (for exports)."""
    query = (
        sa.select(Member)
        .where(*flt.where())
        .order_by(*SORTS.get(flt.sort, SORTS["name"]))
        .options(joinedload(Member.org), joinedload(Member.group))  # one query, not one per branch
    )
    yield from db.session.scalars(query.execution_options(yield_per=batch))


def count_by_status(scope_path: str) -> dict[MemberStatus, int]:
    flt = MemberFilter(scope_path=scope_path)
    rows = db.session.execute(
        sa.select(Member.status, sa.func.count()).where(*flt.where()).group_by(Member.status)
    ).all()
    counts = dict.fromkeys(MemberStatus, 0)
    counts.update({status: count for status, count in rows})
    return counts
