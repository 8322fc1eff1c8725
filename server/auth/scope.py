"""Permission checks. Every read and write is scoped to the subtree an account administers."""

from __future__ import annotations

from server.auth.models import AdminUser
from server.errors import PermissionDenied
from server.members.models import Member
from server.orgs.models import Organisation


def can_see_org(user: AdminUser, org: Organisation) -> bool:
    return bool(org.path and org.path.startswith(user.scope_path))


def require_org(user: AdminUser, org: Organisation, *, write: bool = False) -> Organisation:
    if not can_see_org(user, org):
        raise PermissionDenied("无权访问该组织的数据")
    if write and not user.role.can_write:
        raise PermissionDenied("您的角色只能查看，不能修改")
    return org


def require_member(user: AdminUser, member: Member, *, write: bool = False) -> Member:
    if not can_see_org(user, member.org):
        # Same answer as a missing record: a sibling branch's members are not even confirmed to exist.
        raise PermissionDenied("无权访问该党员的信息")
    if write and not user.role.can_write:
        raise PermissionDenied("您的角色只能查看，不能修改")
    return member
