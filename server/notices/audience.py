"""Who a notice reaches: the union of its targets — an organisation's subtree, a party group, or one member.

One member-id SELECT serves the reach shown before sending, the review threshold and the delivery itself,
so the count the secretary saw is the count that is delivered. Targets are checked against both the
sending organisation (a notice stays inside its own subtree) and the sender's scope: anything outside the
scope is "missing", exactly as a record that does not exist (server/auth/scope.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from server.auth.models import AdminUser
from server.auth.scope import MEMBER_MISSING, ORG_MISSING, can_see_org, scope_filter
from server.db import db
from server.errors import AppError, NotFound
from server.members.models import Member
from server.notices.models import Notice, NoticeTarget
from server.orgs.models import Organisation, OrgKind

OUTSIDE_SENDER = "只能发给本组织及下级组织的党员"
NO_TARGETS = "请选择通知对象：本组织、党小组或具体党员"
#: a notice names at most this many members one by one (a larger audience is an organisation)
MAX_MEMBERS = 500


@dataclass(frozen=True)
class Targets:
    orgs: list[Organisation]
    members: list[Member]

    def __bool__(self) -> bool:
        return bool(self.orgs or self.members)


def org_condition(org: Organisation) -> sa.ColumnElement[bool]:
    """The members one organisation target reaches: a party group's members, or a whole subtree."""
    if org.kind is OrgKind.GROUP:
        return Member.group_id == org.id
    return scope_filter(Member.org_id, org.path or "")


def members_of(targets: Targets) -> sa.Select:
    """SELECT of the distinct ids of the members the targets reach (nobody for none)."""
    conditions = [org_condition(org) for org in targets.orgs]
    if targets.members:
        conditions.append(Member.id.in_([member.id for member in targets.members]))
    return sa.select(Member.id).where(sa.or_(sa.false(), *conditions))


def reach(targets: Targets) -> int:
    ids = members_of(targets).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(ids)) or 0


def check(admin: AdminUser, sender: Organisation, org_ids: Iterable[int], member_ids: Iterable[int]) -> Targets:
    """The chosen ids as targets: each inside the admin's scope (else "missing") and inside the sender's subtree."""
    orgs: dict[int, Organisation] = {}
    for org_id in org_ids:
        org = db.session.get(Organisation, org_id)
        if org is None or org.dissolved_at is not None or not can_see_org(admin, org):
            raise NotFound(ORG_MISSING)
        if not sender.contains(org):
            raise AppError("notice_outside_sender", OUTSIDE_SENDER, status=403)
        orgs[org.id] = org
    wanted = sorted(set(member_ids))
    if len(wanted) > MAX_MEMBERS:
        message = f"逐个选择的党员最多 {MAX_MEMBERS} 名，人数更多时请选择组织"
        raise AppError("notice_too_many_members", message, status=422)
    members = list(db.session.scalars(sa.select(Member).where(Member.id.in_(wanted)).order_by(Member.id)))
    if len(members) != len(wanted) or any(not can_see_org(admin, member.org) for member in members):
        raise NotFound(MEMBER_MISSING)
    if any(not sender.contains(member.org) for member in members):
        raise AppError("notice_outside_sender", OUTSIDE_SENDER, status=403)
    return Targets(list(orgs.values()), members)


def of(notice: Notice) -> Targets:
    rows = db.session.scalars(
        sa.select(NoticeTarget).where(NoticeTarget.notice_id == notice.id).order_by(NoticeTarget.id)
    ).all()
    return Targets([row.org for row in rows if row.org], [row.member for row in rows if row.member])


def recipients(notice: Notice) -> sa.Select:
    return members_of(of(notice))


def within_own_branch(admin: AdminUser, targets: Targets) -> bool:
    """A secretary writing to (part of) their own branch: never reviewed, whatever its size."""
    home = admin.org
    if home is None or home.kind is not OrgKind.BRANCH:
        return False
    return all(home.contains(org) for org in targets.orgs) and all(home.contains(m.org) for m in targets.members)


def describe(targets: Targets) -> str:
    """A short Chinese line naming the audience (the list and the receipts page show it)."""
    parts = [org.name for org in targets.orgs]
    if targets.members:
        names = "、".join(member.name for member in targets.members[:3])
        parts.append(names + (f" 等 {len(targets.members)} 人" if len(targets.members) > 3 else ""))
    return "；".join(parts)
