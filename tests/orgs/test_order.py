"""Organisations in the order people expect: as created unless a secretary moves one up or down, and
that one order on every page that lists or offers organisations."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from server.audit.models import AuditLog
from server.auth.models import Role
from server.db import db
from server.errors import AppError
from server.orgs import services
from server.orgs.models import Organisation, OrgKind

#: the tree page's rows, top to bottom
ROWS = re.compile(r'<tr data-org-id="(\d+)"')


def _rows(page: str) -> list[int]:
    return [int(org_id) for org_id in ROWS.findall(page)]


def _names_in_order(page: str, *names: str) -> bool:
    """``names`` all appear on ``page``, the first appearance of each in the order given."""
    positions = [page.find(name) for name in names]
    return -1 not in positions and positions == sorted(positions)


@pytest.fixture
def eleven(make_org):
    """A committee with eleven branches created in this order: ids cross from one digit to two, where
    sorting by the id path put "/1/10/" before "/1/2/"."""
    committee = make_org("项目党委", OrgKind.COMMITTEE)
    names = ["第二项目部党支部", "机关党支部", "第一项目部党支部", *(f"第{n}分公司党支部" for n in range(3, 11))]
    return committee, [make_org(name, OrgKind.BRANCH, committee) for name in names]


def test_organisations_are_listed_as_they_were_created(browser, make_admin, eleven):
    committee, branches = eleven
    assert branches[-1].id >= 10 > branches[0].id  # the case path order got wrong
    make_admin("dangwei", Role.ORG_ADMIN, committee)
    page = browser("dangwei").get("/admin/orgs/").get_data(as_text=True)
    assert _rows(page) == [committee.id, *(branch.id for branch in branches)]
    assert [org.id for org in services.tree(committee)] == _rows(page)


def test_a_new_organisation_goes_last_among_its_siblings_and_its_children_follow_it(tree, make_org):
    a3 = make_org("甲三支部", OrgKind.BRANCH, tree["general_a"])
    group = make_org("甲三第一党小组", OrgKind.GROUP, a3)
    order = [org.id for org in services.tree(tree["committee"])]
    assert order == [
        tree[key].id if isinstance(key, str) else key.id
        for key in ("committee", "general_a", "a1", "a1_group", "a2", a3, group, "general_b", "b1")
    ]


def test_moving_up_changes_the_order_on_every_page(browser, make_admin, tree, make_member):
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    b = browser("zongzhi")
    make_member(tree["a1"], "甲一党员")
    pages = ("/admin/orgs/", "/admin/members/", "/admin/meetings/new", "/admin/dues/bases", "/admin/quizzes/new")
    for path in pages:
        assert _names_in_order(b.get(path).get_data(as_text=True), "甲一支部", "甲二支部"), path

    response = b.post(f"/admin/orgs/{tree['a2'].id}/shift", {"direction": "up"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#org-{tree['a2'].id}")

    for path in pages:
        assert _names_in_order(b.get(path).get_data(as_text=True), "甲二支部", "甲一支部"), path
    rows = _rows(b.get("/admin/orgs/").get_data(as_text=True))
    general, a1, group, a2 = (tree[key].id for key in ("general_a", "a1", "a1_group", "a2"))
    assert rows == [general, a2, a1, group]  # 甲一支部's group moved down with it


def test_moving_down_and_back_up_restores_the_order(tree):
    before = [org.id for org in services.tree(tree["committee"])]
    services.shift_org(tree["general_a"], 1)
    db.session.commit()
    moved = [org.id for org in services.tree(tree["committee"])]
    assert moved[1:3] == [tree["general_b"].id, tree["b1"].id]  # 乙党总支 and its branch now first
    services.shift_org(db.session.get(Organisation, tree["general_a"].id), -1)
    db.session.commit()
    assert [org.id for org in services.tree(tree["committee"])] == before


@pytest.mark.parametrize(("step", "message"), [(-1, "已经排在同级组织的最前面"), (1, "已经排在同级组织的最后面")])
def test_the_first_cannot_go_up_nor_the_last_down(tree, step, message):
    org = tree["a1"] if step < 0 else tree["a2"]
    with pytest.raises(AppError) as error:
        services.shift_org(org, step)
    assert (error.value.code, error.value.message) == ("cannot_shift", message)


def test_a_dissolved_sibling_is_stepped_over(tree, make_org):
    a3 = make_org("甲三支部", OrgKind.BRANCH, tree["general_a"])
    services.dissolve_org(tree["a2"])
    services.shift_org(a3, -1)
    db.session.commit()
    order = [org.id for org in services.tree(tree["general_a"])]
    assert order == [tree["general_a"].id, a3.id, tree["a1"].id, tree["a1_group"].id]


def test_moving_under_another_parent_puts_it_last_there_with_its_subtree(tree):
    services.move_org(tree["a1"], tree["general_b"])
    db.session.commit()
    order = [org.id for org in services.tree(tree["committee"])]
    assert order[-3:] == [tree["b1"].id, tree["a1"].id, tree["a1_group"].id]
    a1 = db.session.get(Organisation, tree["a1"].id)
    assert a1.tree_key.startswith(tree["general_b"].tree_key)


def test_a_sibling_secretary_cannot_reorder_and_a_secretary_cannot_reorder_their_own_branch(browser, make_admin, tree):
    make_admin("jiaer", Role.SECRETARY, tree["a2"])
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    make_admin("weiyuan", Role.COMMITTEE, tree["general_a"])
    missing = browser("jiaer").post("/admin/orgs/987654321/shift", {"direction": "down"})
    sibling = browser("jiaer").post(f"/admin/orgs/{tree['a1'].id}/shift", {"direction": "down"})
    assert sibling.status_code == 404
    assert sibling.get_data(as_text=True).count("组织不存在或已撤销") == missing.get_data(as_text=True).count(
        "组织不存在或已撤销"
    )
    own = browser("shuji").post(f"/admin/orgs/{tree['a1'].id}/shift", {"direction": "down"})
    assert own.status_code == 400 and "排序由上级党组织调整" in own.get_data(as_text=True)
    assert browser("weiyuan").post(f"/admin/orgs/{tree['a1'].id}/shift", {"direction": "down"}).status_code == 403
    db.session.expire_all()
    assert [org.id for org in services.tree(tree["general_a"])][1] == tree["a1"].id
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "organisation.reorder")) is None
    # nor is a control offered that would be refused
    page = browser("shuji").get("/admin/orgs/").get_data(as_text=True)
    assert 'name="direction"' not in page


def test_reordering_is_audited_for_both_organisations(browser, make_admin, tree):
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"], display_name="总支书记")
    browser("zongzhi").post(f"/admin/orgs/{tree['a1'].id}/shift", {"direction": "down", "back": "detail"})
    entries = db.session.execute(
        sa.select(AuditLog.entity_id, AuditLog.org_id, AuditLog.actor_name, AuditLog.before, AuditLog.after)
        .where(AuditLog.action == "organisation.reorder")
        .order_by(AuditLog.entity_id)
    ).all()
    a1, a2 = tree["a1"].id, tree["a2"].id
    assert entries == [
        (a1, a1, "总支书记", {"sort_order": 0}, {"sort_order": 1}),
        (a2, a2, "总支书记", {"sort_order": 1}, {"sort_order": 0}),
    ]


def test_the_tree_page_has_whole_names_and_one_small_form_per_row(browser, make_admin, make_org, tree):
    long_name = "中建华东工程有限公司第三工程局第十二项目经理部机关第一党支部"
    make_org(long_name, OrgKind.BRANCH, tree["general_a"])
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    page = browser("zongzhi").get("/admin/orgs/").get_data(as_text=True)
    table = page[page.index("<table") : page.index("</table>")]
    assert long_name in table and 'size="' not in table
    assert table.count("<form") == 3  # the three branches' 上移/下移: the 总支 itself and the lone group have none
    assert "改名" not in table and "撤销" not in table and "<select" not in table


def test_the_detail_page_offers_only_what_can_be_done(browser, make_admin, tree, make_member):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    make_member(tree["a1"], "甲一党员", group_id=tree["a1_group"].id)
    b = browser("shuji")
    own = b.get(f"/admin/orgs/{tree['a1'].id}").get_data(as_text=True)
    assert "排序、上级组织或撤销它，请联系上级党组织" in own and 'name="parent_id"' not in own
    group = b.get(f"/admin/orgs/{tree['a1_group'].id}").get_data(as_text=True)
    assert "没有同级组织" in group and 'name="direction"' not in group
    assert "没有其他可以接收党小组的上级组织" in group and "<select" not in group
    assert "还有 1 名党员" in group and "撤销党小组</button>" not in group


def test_upgrading_keeps_existing_trees_in_creation_order(eleven, tree):
    committee, branches = eleven
    expected = [org.id for org in services.tree(committee)]
    db.session.remove()
    downgrade(revision="f5b0c0de1500")
    db.session.execute(sa.text("UPDATE organisations SET sort_order = 0"))  # as every tree was before
    db.session.commit()
    db.session.remove()
    upgrade()

    assert [org.id for org in services.tree(db.session.get(Organisation, committee.id))] == expected
    rows = db.session.execute(
        sa.select(Organisation.parent_id, Organisation.sort_order)
        .where(Organisation.parent_id == committee.id)
        .order_by(Organisation.id)
    ).all()
    assert [position for _, position in rows] == list(range(len(branches)))
    for org in db.session.scalars(sa.select(Organisation).order_by(Organisation.id)):
        if org.parent is not None:
            assert org.tree_key.startswith(org.parent.tree_key) and len(org.tree_key) == 6 * (org.depth + 1)
    # and a new branch still goes last
    new = services.create_org("新支部", OrgKind.BRANCH, db.session.get(Organisation, committee.id))
    assert services.tree(db.session.get(Organisation, committee.id))[-1].id == new.id


FILTERED_PAGES = (
    "/admin/members/",
    "/admin/dues/bases",
    "/admin/dues/bills",
    "/admin/dues/arrears",
    "/admin/dues/ledger",
    "/admin/dues/remittances",
    "/admin/points/",
)


def test_one_branch_secretary_gets_no_organisation_filter_with_nothing_to_choose(browser, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    for path in FILTERED_PAGES:
        response = browser("shuji").get(path)
        assert response.status_code == 200, path
        assert '<label>组织<select name="org_id"' not in response.get_data(as_text=True), path
        page = browser("zongzhi").get(path).get_data(as_text=True)
        picker = page[page.index('<label>组织<select name="org_id"') :]
        assert _names_in_order(picker[: picker.index("</select>")], "甲党总支", "甲一支部", "甲二支部"), path
