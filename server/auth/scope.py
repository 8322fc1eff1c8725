"""The one way to scope: every read and write is limited to the subtree an account administers.

The rule for every route, admin page and API alike:

- not logged in: the admin login page (pages) or 401 (API);
- an object outside the caller's subtree: exactly the answer a missing record gets (404, same code and
  message), so a sibling branch's members, meetings and minutes are not even confirmed to exist;
- an object inside the subtree that the caller's role may not change (a read-only 支部委员 account):
  403, since the caller may already see the object.

Lists, exports and reports filter with :func:`scope_filter` or :func:`in_scope`; single objects go
through :func:`require_org` / :func:`require_member`. ``tests/test_authorization_matrix.py`` checks
every route of the app against these rules for every role.
"""

from __future__ import annotations

import sqlalchemy as sa

from server.auth.models import AdminUser
from server.db import db
from server.errors import NotFound, PermissionDenied
from server.members.models import Member
from server.orgs.models import Organisation
from server.orgs.services import subtree_ids, tree_order, within

__all__ = ["subtree_ids", "within"]  # the tree's primitives, re-exported so scoping has one import

#: What a missing organisation gets (orgs.services.get_org); an org outside the scope gets the same.
ORG_MISSING = "组织不存在或已撤销"
MEMBER_MISSING = "党员不存在"
READ_ONLY = "您的角色只能查看，不能修改"


def scope_filter(org_id_column: sa.ColumnElement, path: str) -> sa.ColumnElement[bool]:
    """``org_id_column`` lies in the subtree at ``path``; no condition at all for the whole tree ("/")."""
    if path == "/":
        return sa.true()
    return org_id_column.in_(subtree_ids(path))


def widest(path: str) -> str:
    """ "/" when the subtree at ``path`` holds every organisation (the committee of a single-root
    deployment), else ``path``: whole-tree figures then skip a subtree condition that filters nothing.
    Two index probes (the same test as the member register's)."""
    if path == "/":
        return path
    upper = path[:-1] + chr(ord(path[-1]) + 1)
    outside = sa.select(Organisation.id).where((Organisation.path < path) | (Organisation.path >= upper)).limit(1)
    return "/" if db.session.scalar(outside) is None else path


def in_scope(org_id_column: sa.ColumnElement, user: AdminUser) -> sa.ColumnElement[bool]:
    """``org_id_column`` lies in what ``user`` administers."""
    return scope_filter(org_id_column, user.scope_path)


def scope_roots(user: AdminUser) -> list[Organisation]:
    """The tops of what ``user`` sees: their own organisation, or every live root for a superadmin."""
    if user.org is not None and user.scope_path != "/":
        return [user.org]
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(Organisation.parent_id.is_(None), Organisation.dissolved_at.is_(None))
            .order_by(tree_order())
        )
    )


def can_see_org(user: AdminUser, org: Organisation) -> bool:
    """The Python twin of :func:`within`, for an organisation already loaded."""
    return bool(org.path and user.scope_path.endswith("/") and org.path.startswith(user.scope_path))


def require_write(user: AdminUser) -> None:
    if not user.role.can_write:
        raise PermissionDenied(READ_ONLY)


def require_org(user: AdminUser, org: Organisation, *, write: bool = False, missing: str = ORG_MISSING) -> Organisation:
    """``org`` if ``user`` may see it (and change it, with ``write``); outside the subtree it is "missing".

    ``missing`` is the message the caller's own lookup gives for a record that does not exist (a meeting
    checks its organiser with "会议不存在"), so both answers are the same to the letter.
    """
    if not can_see_org(user, org):
        raise NotFound(missing)
    if write:
        require_write(user)
    return org


def require_member(user: AdminUser, member: Member, *, write: bool = False) -> Member:
    require_org(user, member.org, write=write, missing=MEMBER_MISSING)
    return member
