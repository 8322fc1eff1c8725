"""Who receives an issue: the union of its audience rows, each a subtree narrowed (all members, probationary
members, secretaries, or one party group).

The one member-id SELECT here serves both the reach shown before publishing and the delivery itself, so
the count the secretary saw is the count that is delivered. Every member in the register counts: the
register holds current members only (a member who moves branch is moved, not copied).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from server.auth.models import AdminUser, Role
from server.auth.scope import scope_filter
from server.db import db
from server.errors import AppError
from server.members.models import Member, MemberStatus
from server.newspaper.models import Narrowing, NewsAudience, NewsIssue
from server.orgs.models import Organisation, OrgKind

#: whose member record counts as a secretary: accounts that run a branch or a higher organisation
SECRETARY_ROLES = (Role.SECRETARY, Role.ORG_ADMIN)
GROUP_ONLY = "党小组只能选择“仅本党小组”"
NOT_A_GROUP = "“仅本党小组”只能用于党小组"


def _secretaries() -> sa.Select:
    return sa.select(AdminUser.member_id).where(
        AdminUser.member_id.is_not(None), AdminUser.role.in_(SECRETARY_ROLES), AdminUser.active.is_(True)
    )


def condition(org: Organisation, narrowing: Narrowing) -> sa.ColumnElement[bool]:
    """The members of one audience row."""
    if narrowing is Narrowing.GROUP:
        return Member.group_id == org.id
    where = scope_filter(Member.org_id, org.path or "")
    if narrowing is Narrowing.PROBATIONARY:
        return sa.and_(where, Member.status == MemberStatus.PROBATIONARY)
    if narrowing is Narrowing.SECRETARIES:
        return sa.and_(where, Member.id.in_(_secretaries()))
    return where


def check_row(org: Organisation, narrowing: Narrowing) -> None:
    """A party group is reached only as a group, and only a group can be."""
    if org.kind is OrgKind.GROUP and narrowing is not Narrowing.GROUP:
        raise AppError("audience_group_only", GROUP_ONLY)
    if narrowing is Narrowing.GROUP and org.kind is not OrgKind.GROUP:
        raise AppError("audience_not_group", NOT_A_GROUP)


def members_of(rows: Iterable[tuple[Organisation, Narrowing]]) -> sa.Select:
    """SELECT of the distinct ids of the members the rows reach (nobody for no rows)."""
    conditions = [condition(org, narrowing) for org, narrowing in rows]
    return sa.select(Member.id).where(sa.or_(sa.false(), *conditions))


def rows_of(issue: NewsIssue) -> list[tuple[Organisation, Narrowing]]:
    audiences = db.session.scalars(sa.select(NewsAudience).where(NewsAudience.issue_id == issue.id)).all()
    return [(audience.org, audience.narrowing) for audience in audiences]


def recipients(issue: NewsIssue) -> sa.Select:
    """The issue's recipients: one id column, each member once."""
    return members_of(rows_of(issue))


def reach(rows: Iterable[tuple[Organisation, Narrowing]]) -> int:
    """How many members the rows reach: what the admin shows before publishing."""
    ids = members_of(rows).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(ids)) or 0
