"""The organisation tree: create, rename, move a whole subtree, dissolve only when empty."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from server.auth.models import Role
from server.db import db
from server.errors import AppError
from server.orgs import services
from server.orgs.models import Organisation, OrgKind


def test_paths_follow_the_tree(tree):
    committee, general, branch = tree["committee"], tree["general_a"], tree["a1"]
    assert branch.path == f"/{committee.id}/{general.id}/{branch.id}/"
    assert branch.depth == 2
    assert committee.contains(branch) and not tree["general_b"].contains(branch)


@pytest.mark.parametrize(
    ("kind", "parent_key", "message"),
    [
        (OrgKind.GROUP, "general_a", "党小组不能设在党总支下"),
        (OrgKind.GENERAL_BRANCH, "a1", "党总支不能设在党支部下"),
        (OrgKind.BRANCH, "a1_group", "党支部不能设在党小组下"),
        (OrgKind.BRANCH, None, "党支部不能设在最顶层下"),
    ],
)
def test_levels_must_nest_properly(tree, kind, parent_key, message):
    with pytest.raises(AppError) as error:
        services.create_org("新组织", kind, tree[parent_key] if parent_key else None)
    assert (error.value.code, error.value.message) == ("invalid_parent", message)


def test_sibling_names_are_unique(tree):
    with pytest.raises(AppError) as error:
        services.create_org("甲二支部", OrgKind.BRANCH, tree["general_a"])
    assert (error.value.code, error.value.message) == ("duplicate_name", "同一上级下已有名为“甲二支部”的组织")


def test_top_level_names_are_unique_too(tree):
    with pytest.raises(AppError) as error:
        services.create_org("测试党委", OrgKind.COMMITTEE, None)
    assert (error.value.code, error.value.message) == ("duplicate_name", "同一上级下已有名为“测试党委”的组织")
    services.create_org("甲一支部", OrgKind.BRANCH, tree["general_b"])  # the same name under another parent is fine


def test_moving_a_general_branch_moves_its_whole_subtree(tree, make_org):
    other = make_org("丙党委", OrgKind.COMMITTEE, tree["committee"])
    services.move_org(tree["general_a"], other)
    db.session.commit()
    a1 = db.session.get(Organisation, tree["a1"].id)
    group = db.session.get(Organisation, tree["a1_group"].id)
    assert a1.path == f"{other.path}{tree['general_a'].id}/{a1.id}/"
    assert group.path.startswith(a1.path) and group.depth == 4
    assert other.contains(group)


def test_cannot_move_into_own_subtree(tree):
    with pytest.raises(AppError) as error:
        services.move_org(tree["general_a"], tree["a1"])
    assert error.value.code == "move_into_self"


def test_cannot_move_into_own_subtree_is_explained(tree):
    with pytest.raises(AppError) as error:
        services.move_org(tree["general_a"], tree["general_a"])
    assert (error.value.code, error.value.message) == ("move_into_self", "不能把组织移动到它自己或它的下级组织之下")


def test_a_move_is_refused_where_a_sibling_has_the_same_name(tree, make_org):
    make_org("甲一支部", OrgKind.BRANCH, tree["general_b"])
    with pytest.raises(AppError) as error:
        services.move_org(tree["a1"], tree["general_b"])
    assert (error.value.code, error.value.message) == ("duplicate_name", "同一上级下已有名为“甲一支部”的组织")


def test_moving_an_organisation_under_the_parent_it_has_changes_nothing(tree):
    path = tree["a1"].path
    services.move_org(tree["a1"], tree["general_a"])  # the form sent back unchanged: not a clash with itself
    db.session.commit()
    assert db.session.get(Organisation, tree["a1"].id).path == path


def test_dissolve_refused_while_members_or_children_remain(tree, make_member):
    make_member(tree["a2"])
    with pytest.raises(AppError) as error:
        services.dissolve_org(tree["a2"])
    assert (error.value.code, error.value.message) == ("org_not_empty", "该组织还有党员，请先转移党员再撤销")
    with pytest.raises(AppError) as error:
        services.dissolve_org(tree["general_b"])  # has a branch
    assert (error.value.code, error.value.message) == ("org_not_empty", "该组织下还有下级组织，不能撤销")


def test_a_group_with_members_cannot_be_dissolved_but_an_empty_branch_can(tree, make_member):
    make_member(tree["a1"], group_id=tree["a1_group"].id)
    with pytest.raises(AppError) as error:
        services.dissolve_org(tree["a1_group"])
    assert (error.value.code, error.value.message) == ("org_not_empty", "该组织还有党员，请先转移党员再撤销")
    services.dissolve_org(tree["b1"])  # someone else's group members are not this branch's
    assert tree["b1"].dissolved_at is not None


def test_a_general_branch_whose_branches_are_all_dissolved_can_be_dissolved(tree):
    services.dissolve_org(tree["b1"])
    services.dissolve_org(tree["general_b"])
    assert tree["general_b"].dissolved_at is not None


def test_the_top_committee_cannot_be_dissolved(app):
    committee = services.create_org("空党委", OrgKind.COMMITTEE, None)
    with pytest.raises(AppError) as error:
        services.dissolve_org(committee)
    assert (error.value.code, error.value.message) == ("dissolve_root", "不能撤销最顶层的党委")


def test_dissolved_branch_leaves_the_tree_but_keeps_its_row(tree):
    services.dissolve_org(tree["b1"])
    db.session.commit()
    names = [org.name for org in services.tree(tree["committee"])]
    assert "乙一支部" not in names
    assert db.session.get(Organisation, tree["b1"].id).dissolved_at is not None
    # the name is free again for a new branch
    services.create_org("乙一支部", OrgKind.BRANCH, tree["general_b"])


def test_admin_creates_renames_and_moves_through_the_pages(browser, make_admin, tree):
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    b = browser("zongzhi")
    assert (
        b.post("/admin/orgs/", {"name": "甲三支部", "kind": "branch", "parent_id": tree["general_a"].id}).status_code
        == 302
    )
    created = db.session.scalar(sa.select(Organisation).where(Organisation.name == "甲三支部"))
    assert created.path.startswith(tree["general_a"].path)
    b.post(f"/admin/orgs/{created.id}/rename", {"name": "甲三项目支部"})
    b.post(f"/admin/orgs/{tree['a1_group'].id}/move", {"parent_id": tree["a2"].id})
    db.session.expire_all()
    assert created.name == "甲三项目支部"
    assert db.session.get(Organisation, tree["a1_group"].id).parent_id == tree["a2"].id


def test_general_branch_admin_cannot_touch_a_sibling_subtree(browser, make_admin, tree):
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    b = browser("zongzhi")
    assert b.post(f"/admin/orgs/{tree['b1'].id}/rename", {"name": "被改"}).status_code == 404
    assert (
        b.post("/admin/orgs/", {"name": "越权支部", "kind": "branch", "parent_id": tree["general_b"].id}).status_code
        == 404
    )
    assert b.post(f"/admin/orgs/{tree['a1'].id}/move", {"parent_id": tree["general_b"].id}).status_code == 404
    page = b.get("/admin/orgs/").get_data(as_text=True)
    assert "乙一支部" not in page and "甲一支部" in page
    db.session.expire_all()
    assert db.session.get(Organisation, tree["b1"].id).name == "乙一支部"


def test_blank_org_name_is_refused_in_chinese(browser, make_admin, tree):
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    response = browser("zongzhi").post(f"/admin/orgs/{tree['a1'].id}/rename", {"name": ""})
    assert response.status_code == 422
    assert "提交的内容有误" in response.get_data(as_text=True)


def test_renaming_is_audited_with_before_and_after(browser, make_admin, tree):
    from server.audit.models import AuditLog

    admin = make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"], display_name="总支书记")
    browser("zongzhi").post(f"/admin/orgs/{tree['a1'].id}/rename", {"name": "甲一项目支部"})
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "organisation.update"))
    assert (entry.actor_name, entry.before, entry.after) == ("总支书记", {"name": "甲一支部"}, {"name": "甲一项目支部"})
    assert (entry.actor_kind, entry.actor_id, entry.ip) == ("admin", admin.id, "127.0.0.1")


def test_the_superadmin_sees_every_committee_in_their_order(browser, make_admin, make_org, tree):
    second, first = make_org("第二党委", OrgKind.COMMITTEE), make_org("第一党委", OrgKind.COMMITTEE)
    services.shift_org(first, -1)
    services.shift_org(first, -1)  # above 测试党委 too
    db.session.commit()
    # an organisation recorded on a superadmin's account does not narrow what it sees
    make_admin("root", Role.SUPERADMIN, tree["committee"])
    page = browser("root").get("/admin/orgs/").get_data(as_text=True)
    rows = [int(org_id) for org_id in re.findall(r'<tr data-org-id="(\d+)"', page)]
    committee, branch = tree["committee"].id, tree["b1"].id
    assert rows.index(first.id) < rows.index(committee) < rows.index(branch) < rows.index(second.id)
    assert len(rows) == len(set(rows)) == 9  # each organisation once, under its own root


def test_new_organisation_form_offers_only_kinds_that_fit(browser, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])
    branch_form = browser("shuji").get("/admin/orgs/").get_data(as_text=True)
    assert 'value="group"' in branch_form and 'value="branch"' not in branch_form
    committee_form = browser("dangwei").get("/admin/orgs/").get_data(as_text=True)
    assert committee_form.index('value="branch"') < committee_form.index('value="committee"')
