"""The member register in the admin: add, edit, list, mask personal data, transfer keeping history."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from server.audit.models import AuditLog
from server.auth.models import Role
from server.db import db
from server.members.models import Member, MemberTransfer
from server.members.services import MemberFilter, count_by_status, list_members
from server.orgs.models import OrgKind

NEW_MEMBER = {
    "name": "李红梅",
    "gender": "female",
    "ethnicity": "汉族",
    "birth_date": "1988-05-04",
    "phone": "13912345678",
    "id_card": "110101199003074477",
    "education": "大学本科",
    "join_date": "2012-06-30",
    "full_member_date": "2013-06-30",
    "status": "full",
    "dues_category": "employed",
    "dues_base_yuan": "4500.50",
}


@pytest.fixture
def secretary(browser, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"], display_name="王书记")
    return browser("shuji")


def test_secretary_adds_a_member_with_money_in_fen(secretary, tree):
    response = secretary.post("/admin/members/new", NEW_MEMBER | {"org_id": tree["a1"].id})
    assert response.status_code == 302
    member = db.session.scalar(sa.select(Member).where(Member.name == "李红梅"))
    assert member.dues_base_fen == 450050
    assert member.name_sort == "li hong mei"
    assert member.org_id == tree["a1"].id


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_card", "110101199003074478", "身份证号格式或校验位不正确"),
        ("phone", "12345", "手机号应为 11 位数字"),
        ("name", "", "此项必填"),
        ("dues_base_yuan", "-1", "月缴费基数应在 0 到 1,000,000 元之间"),
        ("dues_base_yuan", "12.345", "金额最多保留两位小数"),
        ("full_member_date", "2010-01-01", "转正日期不能早于入党日期"),
        ("gender", "unknown", "性别应为男或女"),
    ],
)
def test_bad_member_input_is_shown_next_to_the_field(secretary, tree, field, value, message):
    response = secretary.post("/admin/members/new", NEW_MEMBER | {"org_id": tree["a1"].id, field: value})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 0


def test_duplicate_id_card_is_refused(secretary, tree, make_member):
    make_member(tree["a1"], id_card="110101199003074477")
    response = secretary.post("/admin/members/new", NEW_MEMBER | {"org_id": tree["a1"].id})
    assert response.status_code == 422
    assert "已登记在册" in response.get_data(as_text=True)


def test_list_and_detail_mask_phone_and_id_card(secretary, tree, make_member):
    member = make_member(tree["a1"], "赵六", phone="13812345678", id_card="11010519491231002X")
    for page in (secretary.get("/admin/members/"), secretary.get(f"/admin/members/{member.id}")):
        html = page.get_data(as_text=True)
        assert "138****5678" in html and "110105********002X" in html
        assert "13812345678" not in html and "11010519491231002X" not in html


def test_edit_changes_fields_keeps_hidden_numbers_and_is_audited(secretary, tree, make_member):
    member = make_member(tree["a1"], "赵六", phone="13812345678", position="技术员")
    form = secretary.get(f"/admin/members/{member.id}/edit").get_data(as_text=True)
    assert "13812345678" not in form
    response = secretary.post(
        f"/admin/members/{member.id}/edit",
        {
            "name": "赵六",
            "gender": "male",
            "status": "full",
            "dues_category": "retired",
            "position": "工程师",
            "join_date": "2005-07-01",
            "full_member_date": "2006-07-01",
            "phone": "",
            "id_card": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert member.position == "工程师" and member.phone == "13812345678"
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "member.update"))
    assert entry.actor_name == "王书记"
    assert entry.before["position"] == "技术员" and entry.after["position"] == "工程师"
    assert entry.after["dues_category"] == "retired"


def test_audit_masks_personal_numbers(secretary, tree, make_member):
    member = make_member(tree["a1"], "赵六", phone="13812345678")
    secretary.post(
        f"/admin/members/{member.id}/edit",
        {
            "name": "赵六",
            "gender": "male",
            "status": "full",
            "dues_category": "employed",
            "phone": "13987654321",
            "join_date": "2005-07-01",
            "full_member_date": "2006-07-01",
        },
    )
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "member.update"))
    assert entry.before["phone"] == "138****5678" and entry.after["phone"] == "139****4321"


def test_transfer_keeps_history(secretary, make_admin, browser, tree, make_member):
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    admin = browser("zongzhi")
    member = make_member(tree["a1"], "钱七", group_id=tree["a1_group"].id)
    response = admin.post(f"/admin/members/{member.id}/move", {"org_id": tree["a2"].id, "reason": "工作调动"})
    assert response.status_code == 302
    db.session.expire_all()
    assert member.org_id == tree["a2"].id and member.group_id is None
    transfer = db.session.scalar(sa.select(MemberTransfer))
    assert (transfer.from_org_id, transfer.to_org_id, transfer.reason) == (tree["a1"].id, tree["a2"].id, "工作调动")
    assert "工作调动" in admin.get(f"/admin/members/{member.id}").get_data(as_text=True)


def test_list_is_sorted_by_pinyin_and_filtered(app, tree, make_member):
    for name in ("张伟", "阿强", "王芳", "陈静"):
        make_member(tree["a1"], name)
    make_member(tree["a1"], "白雪", status="probationary", full_member_date=None)
    members, total = list_members(MemberFilter(scope_path=tree["committee"].path))
    assert [m.name for m in members] == ["阿强", "白雪", "陈静", "王芳", "张伟"]
    assert total == 5
    assert [m.name for m in list_members(MemberFilter(scope_path="/", q="wang"))[0]] == ["王芳"]
    assert count_by_status(tree["committee"].path)["probationary"] == 1


def test_list_is_paginated(app, tree, make_member):
    for i in range(25):
        make_member(tree["a1"], f"党员{i:02d}")
    page2, total = list_members(MemberFilter(scope_path="/"), page=2, per_page=20)
    assert total == 25 and len(page2) == 5


def test_a_committee_never_sees_another_root_committees_members(app, tree, make_org, make_member):
    other_root = make_org("兄弟单位党委", OrgKind.COMMITTEE)
    other_branch = make_org("兄弟支部", OrgKind.BRANCH, other_root)
    make_member(tree["a1"], "本单位")
    make_member(other_branch, "外单位")
    members, total = list_members(MemberFilter(scope_path=tree["committee"].path))
    assert [m.name for m in members] == ["本单位"] and total == 1
    assert sum(count_by_status(tree["committee"].path).values()) == 1
    assert sum(count_by_status("/").values()) == 2
