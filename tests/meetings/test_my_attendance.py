"""我的出勤: a member's yearly attendance in the mini-program, counted as the admin's 出勤率 counts it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from server.db import utcnow
from server.meetings.compliance import attendance_rates, local_date, local_today, member_attendance
from server.meetings.models import AttendanceStatus, MeetingKind
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
    row = next(row for row in attendance_rates(tree["committee"].path, 2025)["members"] if row["member_id"] == zhang.id)
    assert (mine.expected, mine.attended, mine.rate) == (row["expected"], row["attended"], row["rate"])
    assert member_attendance(zhang, 2024).expected == 1


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
