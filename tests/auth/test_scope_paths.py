"""Scope is a path prefix that ends in "/": branch /1/2/ never sees /1/23/, and a path that lost its
slash (a damaged row) sees nothing rather than every sibling that shares its digits."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from server.auth.models import AdminUser, Role
from server.auth.scope import can_see_org, scope_filter
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
