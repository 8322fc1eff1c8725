"""Scope is a path prefix that ends in "/": branch /1/2/ never sees /1/23/, and a path that lost its
slash (a damaged row) sees nothing rather than every sibling that shares its digits."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from server.auth.models import AdminUser, Role
from server.auth.scope import can_see_org, require_member, require_org, scope_filter
from server.errors import NotFound, PermissionDenied
from server.members.models import Member
from server.orgs.models import Organisation
from server.orgs.services import within


def account(path: str, role: Role = Role.SECRETARY) -> AdminUser:
    return AdminUser(username="x", role=role, org=Organisation(name="本支部", path=path))


def test_a_branch_sees_its_subtree_but_not_a_sibling_sharing_its_digits():
    secretary = account("/1/2/")
    assert can_see_org(secretary, Organisation(path="/1/2/"))
    assert can_see_org(secretary, Organisation(path="/1/2/5/"))
    assert not can_see_org(secretary, Organisation(path="/1/23/"))
    assert not can_see_org(secretary, Organisation(path="/1/"))


def test_a_scope_path_without_its_trailing_slash_sees_nothing():
    damaged = account("/1/2")
    assert not can_see_org(damaged, Organisation(path="/1/23/"))
    assert not can_see_org(damaged, Organisation(path="/1/2/"))
    with pytest.raises(ValueError):
        within("/1/2")


def test_an_organisation_without_a_path_is_seen_by_no_one():
    assert not can_see_org(account("/", Role.SUPERADMIN), Organisation(path=""))


def test_the_whole_tree_adds_no_condition_to_a_query():
    assert scope_filter(Member.org_id, "/").compare(sa.true())
    assert not scope_filter(Member.org_id, "/1/").compare(sa.true())


def test_a_read_only_account_may_read_a_member_of_its_branch_but_not_change_them(tree, make_admin, make_member):
    weiyuan = make_admin("weiyuan", Role.COMMITTEE, tree["a1"])
    mine, sibling = make_member(tree["a1"]), make_member(tree["a2"])

    assert require_member(weiyuan, mine) is mine
    with pytest.raises(PermissionDenied) as refused:
        require_member(weiyuan, mine, write=True)
    assert (refused.value.status, refused.value.message) == (403, "您的角色只能查看，不能修改")
    with pytest.raises(NotFound) as missing:
        require_member(weiyuan, sibling)
    assert (missing.value.status, missing.value.message) == (404, "党员不存在")


def test_looking_an_organisation_up_is_a_read_unless_a_write_is_asked_for(tree, make_admin):
    weiyuan = make_admin("weiyuan", Role.COMMITTEE, tree["a1"])

    assert require_org(weiyuan, tree["a1_group"]) is tree["a1_group"]
    with pytest.raises(PermissionDenied):
        require_org(weiyuan, tree["a1_group"], write=True)
    with pytest.raises(NotFound) as missing:
        require_org(weiyuan, tree["a2"])
    assert missing.value.message == "组织不存在或已撤销"
