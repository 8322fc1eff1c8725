"""我的出勤: a member's yearly attendance in the mini-program, counted as the admin's 出勤率 counts it."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from server.auth.models import Role
from server.db import utcnow
from server.meetings.attendance import attendance_rates, member_attendance
from server.meetings.models import AttendanceStatus, MeetingKind
from server.timezone import local_date, local_today
from tests.meetings.conftest import bearer
from tests.meetings.factories import add_meeting, attend

K = MeetingKind


@pytest.fixture
def zhang(tree, make_member):
    """张三 of 甲一支部, in its 第一党小组."""
    return make_member(tree["a1"], "张三", group_id=tree["a1_group"].id)


@pytest.fixture
def year_2025(tree, zhang, make_member):
    """张三's 2025: present, late, on leave, absent, and meetings that must not count."""
    guest_of = make_member(tree["a2"], "王五")
    theme = add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, 3, 5, 9), title="三月主题党日")
    group = add_meeting(K.GROUP_MEETING, tree["a1"], datetime(2025, 4, 5, 9), [tree["a1_group"]], title="小组会")
    lecture = add_meeting(K.PARTY_LECTURE, tree["a1"], datetime(2025, 5, 5, 9), [tree["a1"], tree["a2"]], title="党课")
    add_meeting(K.BRANCH_ASSEMBLY, tree["a1"], datetime(2025, 6, 5, 9), title="党员大会")  # no row: absent
    cancelled = add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, 7, 5, 9), cancelled=True)
    elsewhere = add_meeting(K.THEME_DAY, tree["a2"], datetime(2025, 8, 5, 9))  # 张三 only visited
    previous_year = add_meeting(K.THEME_DAY, tree["a1"], datetime(2024, 12, 31, 22))  # 14:00 UTC: still 2024
    attend(theme, zhang)
    attend(group, zhang, status=AttendanceStatus.LATE)
    attend(lecture, zhang, status=AttendanceStatus.LEAVE)
    attend(lecture, guest_of)
    attend(cancelled, zhang)
    attend(elsewhere, zhang)
    attend(previous_year, zhang)


def test_a_year_counts_present_late_leave_and_absent(client, zhang, year_2025, token_for):
    response = client.get("/api/me/attendance?year=2025", headers=bearer(token_for(zhang)))

    assert response.status_code == 200
    body = response.get_json()
    counts = {key: body[key] for key in ("year", "expected", "present", "late", "leave", "absent", "attended", "rate")}
    assert counts == {
        "year": 2025,
        "expected": 4,
        "present": 1,
        "late": 1,
        "leave": 1,
        "absent": 1,
        "attended": 2,
        "rate": 0.5,
    }
    assert [(m["title"], m["status"], m["status_label"]) for m in body["meetings"]] == [
        ("党员大会", "absent", "缺席"),
        ("党课", "leave", "请假"),
        ("小组会", "late", "迟到"),
        ("三月主题党日", "present", "已到"),
    ]
    assert body["meetings"][0]["kind_label"] == "支部党员大会"
    assert body["meetings"][0]["starts_at"] == "2025-06-05T01:00:00+00:00"


def test_the_member_figures_agree_with_the_admins_attendance_rates(tree, zhang, year_2025):
    mine = member_attendance(zhang, 2025)
    row = next(row for row in attendance_rates(tree["committee"].path, 2025).members if row.member_id == zhang.id)
    assert mine.figures == row.figures
    assert member_attendance(zhang, 2024).figures.expected == 1


def test_a_meeting_still_under_way_or_to_come_is_not_an_absence(client, tree, zhang, make_meeting, token_for):
    make_meeting(starts_in=-timedelta(minutes=30))  # under way
    make_meeting(starts_in=timedelta(days=2))  # to come
    ended = add_meeting(K.THEME_DAY, tree["a1"], utcnow() - timedelta(hours=3), title="刚开完的会")
    token = token_for(zhang)

    this_year = client.get("/api/me/attendance", headers=bearer(token)).get_json()
    assert this_year["year"] == local_today().year
    # the ended meeting is read in its own local year, which differs just after midnight on 1 January
    of_ended = client.get(f"/api/me/attendance?year={local_date(ended.starts_at).year}", headers=bearer(token))
    assert [(m["title"], m["status"]) for m in of_ended.get_json()["meetings"]] == [("刚开完的会", "absent")]


def test_no_meetings_means_no_rate(client, zhang, token_for):
    body = client.get("/api/me/attendance?year=2025", headers=bearer(token_for(zhang))).get_json()
    assert (body["expected"], body["rate"], body["meetings"]) == (0, None, [])


@pytest.mark.parametrize("year", ["1999", "2101", "去年"])
def test_a_year_out_of_range_is_refused_in_chinese(client, zhang, token_for, year):
    response = client.get(f"/api/me/attendance?year={year}", headers=bearer(token_for(zhang)))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["year"][0] in ("应在 2000 到 2100 之间", "应为整数")


def test_my_attendance_needs_a_session(client):
    response = client.get("/api/me/attendance")
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "请先登录"


def test_a_meeting_under_way_is_not_an_absence_on_the_admins_page_either(
    client, browser, make_admin, tree, zhang, make_meeting, token_for
):
    make_meeting(starts_in=-timedelta(minutes=30))  # under way: 张三 has not checked in yet
    ended = add_meeting(K.THEME_DAY, tree["a1"], utcnow() - timedelta(hours=3), title="刚开完的会")
    attend(ended, zhang)
    year = local_date(ended.starts_at).year
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])

    page = browser("dangwei").get(f"/admin/meetings/attendance?year={year}").get_data(as_text=True)
    mine = client.get(f"/api/me/attendance?year={year}", headers=bearer(token_for(zhang))).get_json()

    assert (mine["expected"], mine["absent"], mine["rate"]) == (1, 0, 1.0)
    lowest = page[page.index('id="member-rates"') :]
    assert "张三" not in lowest and "没有出勤率低于 80% 的党员" in lowest


def test_the_admin_and_the_member_read_the_same_rate(browser, client, make_admin, tree, zhang, year_2025, token_for):
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])

    mine = client.get("/api/me/attendance?year=2025", headers=bearer(token_for(zhang))).get_json()
    book = load_workbook(io.BytesIO(browser("dangwei").get("/admin/meetings/attendance.xlsx?year=2025").data))
    (row,) = [row for row in book["党员出勤率"].iter_rows(values_only=True) if row[0] == "张三"]

    assert (mine["expected"], mine["attended"], mine["rate"]) == (4, 2, 0.5)
    assert row[2:5] == (4, 2, "50%")


@pytest.fixture
def four_theme_days(tree, make_member):
    """Four theme days of 甲一支部 in 2025: 全勤 attended 4, 三次 3, 两次 2; 甲二's 无会 was expected at none."""
    days = [add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, month, 5, 9)) for month in (3, 4, 5, 6)]
    for name, count in (("全勤", 4), ("三次", 3), ("两次", 2)):
        member = make_member(tree["a1"], name)
        for meeting in days[:count]:
            attend(meeting, member)
    make_member(tree["a2"], "无会")
    return days


def _lowest(browser, year: int = 2025) -> list[tuple[str, str]]:
    page = browser("dangwei").get(f"/admin/meetings/attendance?year={year}").get_data(as_text=True)
    table = page[page.index('id="member-rates"') :]
    return re.findall(r"<tr><td>([^<]+)</td><td>[^<]*</td>.*?<td class=\"num\">(\d+%)</td></tr>", table, re.S)


def test_the_lowest_list_shows_only_members_below_the_threshold(browser, make_admin, tree, four_theme_days):
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])
    page = browser("dangwei").get("/admin/meetings/attendance?year=2025").get_data(as_text=True)

    assert "出勤率低于 80% 的党员" in page
    assert _lowest(browser) == [("两次", "50%"), ("三次", "75%")]  # lowest first; 全勤 and 无会 not listed


def test_the_threshold_is_configurable(browser, make_admin, tree, four_theme_days, app, monkeypatch):
    monkeypatch.setitem(app.config, "ATTENDANCE_LOW_PERCENT", 60)
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])
    assert _lowest(browser) == [("两次", "50%")]


def test_the_lowest_list_says_so_when_nobody_is_below(browser, make_admin, tree, four_theme_days, app, monkeypatch):
    monkeypatch.setitem(app.config, "ATTENDANCE_LOW_PERCENT", 50)
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])
    page = browser("dangwei").get("/admin/meetings/attendance?year=2025").get_data(as_text=True)
    assert _lowest(browser) == []
    assert "没有出勤率低于 50% 的党员" in page
