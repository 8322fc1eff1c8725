"""The secretary's 政治生日 page: the month's birthdays in their scope, the export, and one form that
schedules a 主题党日 for them through the meetings feature, audited."""

from __future__ import annotations

import io
from datetime import date, timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from server.audit.models import AuditLog
from server.auth.models import Role
from server.birthdays import tasks
from server.birthdays.models import BirthdayInvitation
from server.db import db, utcnow
from server.meetings.models import Meeting, MeetingKind
from server.timezone import local_date
from tests.birthdays.conftest import beijing


def _this_month_join(day: int = 15, years: int = 20) -> date:
    today = local_date(utcnow())
    return date(today.year - years, today.month, min(day, 28))


def _next_month_join(years: int = 10) -> date:
    today = local_date(utcnow())
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return date(year - years, month, 3)


def _people(tree, make_member):
    mine = make_member(tree["a1"], "张建国", join_date=_this_month_join(), full_member_date=None)
    later = make_member(tree["a1"], "李卫东", join_date=_next_month_join(), full_member_date=None)
    sibling = make_member(tree["a2"], "王秀英", join_date=_this_month_join(3), full_member_date=None)
    return mine, later, sibling


def test_the_secretary_sees_this_and_next_months_birthdays_of_their_branch_only(tree, make_member, make_admin, browser):
    _people(tree, make_member)
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    page = browser("shuji").get("/admin/birthdays/").get_data(as_text=True)
    assert "张建国" in page and "第 20 个" in page
    assert "王秀英" not in page and "李卫东" not in page
    today = local_date(utcnow())
    nxt = (today.replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
    page = browser("shuji").get(f"/admin/birthdays/?month={nxt}").get_data(as_text=True)
    assert "李卫东" in page and "张建国" not in page
    general = browser("zongzhi").get("/admin/birthdays/").get_data(as_text=True)
    assert "张建国" in general and "王秀英" in general


def test_the_export_lists_the_scope_and_is_audited(tree, make_member, make_admin, browser):
    _people(tree, make_member)
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    response = browser("shuji").get("/admin/birthdays/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    names = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert names == ["张建国"]
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "birthday.export"))
    assert entry.org_id == tree["a1"].id


def _theme_day_form(members, day: date) -> dict:
    times = {"day": day.isoformat(), "starts": "15:00", "ends": "17:00", "place": "党员活动室"}
    return {"title": "政治生日主题党日", "member_ids": [m.id for m in members]} | times


def _later_this_month() -> date:
    """Tomorrow: a meeting may not start in the past (the day need not be the birthday month's)."""
    return local_date(utcnow()) + timedelta(days=1)


def test_scheduling_a_theme_day_creates_the_branchs_meeting_notes_the_members_and_is_audited(
    tree, make_member, make_admin, browser
):
    mine, _, _ = _people(tree, make_member)
    also = make_member(tree["a1"], "赵红梅", join_date=_this_month_join(20, years=5), full_member_date=None)
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    secretary = browser("shuji")
    month = local_date(utcnow()).strftime("%Y-%m")
    form_page = secretary.get(f"/admin/birthdays/branches/{tree['a1'].id}/theme-day?month={month}")
    assert form_page.status_code == 200 and "赵红梅" in form_page.get_data(as_text=True)

    day = _later_this_month()
    response = secretary.post(
        f"/admin/birthdays/branches/{tree['a1'].id}/theme-day?month={month}", _theme_day_form([mine, also], day)
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    meeting = db.session.scalar(sa.select(Meeting))
    assert (meeting.kind, meeting.organiser_org_id, meeting.title) == (
        MeetingKind.THEME_DAY,
        tree["a1"].id,
        "政治生日主题党日",
    )
    assert [org.id for org in meeting.participant_orgs] == [tree["a1"].id]
    invited = db.session.scalars(sa.select(BirthdayInvitation.member_id).order_by(BirthdayInvitation.member_id))
    assert list(invited) == sorted([mine.id, also.id])
    actions = db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.org_id == tree["a1"].id).order_by(AuditLog.id)
    ).all()
    assert actions[-2:] == ["meeting.create", "birthday.theme_day"]
    detail = db.session.scalar(sa.select(AuditLog.after).where(AuditLog.action == "birthday.theme_day"))
    assert sorted(detail["members"]) == sorted(["张建国", "赵红梅"])

    listed = secretary.get("/admin/birthdays/").get_data(as_text=True)
    assert listed.count("政治生日主题党日") >= 2  # beside both members


def test_a_sibling_branchs_secretary_can_neither_see_nor_schedule_for_another_branch(
    tree, make_member, make_admin, browser
):
    mine, _, _ = _people(tree, make_member)
    make_admin("jiaer", Role.SECRETARY, tree["a2"])
    make_admin("weiyuan", Role.COMMITTEE, tree["a1"])
    sibling = browser("jiaer")
    month = local_date(utcnow()).strftime("%Y-%m")
    path = f"/admin/birthdays/branches/{tree['a1'].id}/theme-day?month={month}"
    assert sibling.get(path).status_code == 404
    assert sibling.post(path, _theme_day_form([mine], _later_this_month())).status_code == 404
    assert browser("weiyuan").post(path, _theme_day_form([mine], _later_this_month())).status_code == 403
    assert "张建国" not in sibling.get(f"/admin/birthdays/?org_id={tree['a1'].id}").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_the_form_refuses_members_who_are_not_the_branchs_birthdays_of_the_month(
    tree, make_member, make_admin, browser
):
    _, later, sibling = _people(tree, make_member)
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    month = local_date(utcnow()).strftime("%Y-%m")
    path = f"/admin/birthdays/branches/{tree['a1'].id}/theme-day?month={month}"
    for chosen, message in (([later, sibling], "不是本支部本月过政治生日的党员"), ([], "请至少选择一名")):
        response = browser("zongzhi").post(path, _theme_day_form(chosen, _later_this_month()))
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    response = browser("zongzhi").post(f"/admin/birthdays/branches/{tree['general_a'].id}/theme-day?month={month}", {})
    assert response.status_code == 400 and "请选择一个党支部" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_the_page_says_who_was_greeted(tree, make_member, make_admin, browser):
    today = local_date(utcnow())
    member = make_member(tree["a1"], "陈光荣", join_date=today.replace(year=today.year - 50), full_member_date=None)
    tasks.run(beijing(today))
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    page = browser("shuji").get("/admin/birthdays/").get_data(as_text=True)
    assert member.name in page and "已送达" in page and "第 50 个" in page
