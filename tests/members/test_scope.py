"""Every read and write is scoped to the administered subtree: the denials, not only the successes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from server.auth.models import Role
from server.db import db
from server.members.models import Member


@pytest.fixture
def people(tree, make_member):
    return {
        "a1": make_member(tree["a1"], "甲一党员"),
        "a2": make_member(tree["a2"], "甲二党员"),
        "b1": make_member(tree["b1"], "乙一党员"),
    }


# (role, administered org, members they may see)
ACCOUNTS = {
    "secretary_a1": (Role.SECRETARY, "a1", {"a1"}),
    "committee_a1": (Role.COMMITTEE, "a1", {"a1"}),
    "general_a": (Role.ORG_ADMIN, "general_a", {"a1", "a2"}),
    "committee": (Role.ORG_ADMIN, "committee", {"a1", "a2", "b1"}),
    "superadmin": (Role.SUPERADMIN, None, {"a1", "a2", "b1"}),
}


@pytest.fixture(params=sorted(ACCOUNTS))
def account(request, make_admin, browser, tree):
    role, org_key, visible = ACCOUNTS[request.param]
    make_admin(request.param, role, tree[org_key] if org_key else None)
    return browser(request.param), role, visible


@pytest.mark.parametrize("target", ["a1", "a2", "b1"])
def test_member_detail_is_visible_only_inside_the_subtree(account, people, target):
    b, _, visible = account
    response = b.get(f"/admin/members/{people[target].id}")
    assert response.status_code == (200 if target in visible else 404)
    if target not in visible:
        assert people[target].name not in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["a1", "a2", "b1"])
def test_member_edit_is_allowed_only_to_writers_inside_the_subtree(account, people, target):
    b, role, visible = account
    response = b.post(
        f"/admin/members/{people[target].id}/edit",
        {
            "name": "被修改",
            "gender": "male",
            "status": "full",
            "dues_category": "employed",
            "join_date": "2005-07-01",
            "full_member_date": "2006-07-01",
        },
    )
    allowed = target in visible and role is not Role.COMMITTEE
    # read-only accounts are refused before anything is looked up; others see outside as missing
    refusal = 403 if role is Role.COMMITTEE else 404
    assert response.status_code == (302 if allowed else refusal)
    db.session.expire_all()
    assert (db.session.get(Member, people[target].id).name == "被修改") is allowed


def test_member_list_and_export_contain_only_the_subtree(account, people):
    b, _, visible = account
    html = b.get("/admin/members/").get_data(as_text=True)
    for key, member in people.items():
        assert (member.name in html) is (key in visible)


def test_filtering_by_a_sibling_branch_shows_nothing(make_admin, browser, tree, people):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    html = browser("shuji").get(f"/admin/members/?org_id={tree['b1'].id}").get_data(as_text=True)
    assert "乙一党员" not in html and "甲一党员" not in html


def test_secretary_cannot_add_a_member_to_a_sibling_branch(make_admin, browser, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    response = browser("shuji").post(
        "/admin/members/new",
        {"name": "越权", "gender": "male", "status": "full", "dues_category": "employed", "org_id": tree["b1"].id},
    )
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member).where(Member.name == "越权")) == 0


def test_secretary_cannot_move_a_member_out_to_a_sibling_branch(make_admin, browser, tree, people):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    response = browser("shuji").post(f"/admin/members/{people['a1'].id}/move", {"org_id": tree["b1"].id})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Member, people["a1"].id).org_id == tree["a1"].id


def test_a_branch_secretary_is_told_where_a_transfer_is_done_instead_of_an_empty_list(
    make_admin, browser, tree, people
):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    page = browser("shuji").get(f"/admin/members/{people['a1'].id}").get_data(as_text=True)
    assert 'id="transfer-form"' not in page and "请由共同的上级党组织办理" in page
    page = browser("zongzhi").get(f"/admin/members/{people['a1'].id}").get_data(as_text=True)
    form = page[page.index('id="transfer-form"') : page.index("</form>", page.index('id="transfer-form"'))]
    assert "甲二支部" in form and "甲一支部" not in form  # the other branch, not the member's own


def test_secretary_cannot_issue_an_invite_for_a_sibling_member(make_admin, browser, tree, people):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    assert browser("shuji").post(f"/admin/members/{people['b1'].id}/invite").status_code == 404


def test_audit_log_shows_only_the_subtree(make_admin, browser, tree, people):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    html = browser("shuji").get("/admin/audit").get_data(as_text=True)
    assert "甲一党员" in html and "乙一党员" not in html
