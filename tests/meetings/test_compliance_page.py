"""The committee's compliance page and its Excel export, scoped to the viewer's subtree."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from server.auth.models import Role
from server.db import db
from server.meetings.models import Attendance, AttendanceStatus, CheckinMethod, MeetingKind
from tests.meetings.factories import add_meeting


@pytest.fixture
def tree(established_tree):
    return established_tree


def _held(branch, kind, when, participants=()):
    return add_meeting(kind, branch, when, list(participants) or None, title=kind.value)


@pytest.fixture
def quarter_with_meetings(tree, make_member):
    """Branch 甲一 held everything in 2026 Q3; 甲二 held nothing."""
    secretary = make_member(tree["a1"], "支委")
    for month in (7, 8, 9):
        when = datetime(2026, month, 10, 1, 0, tzinfo=UTC)
        _held(tree["a1"], MeetingKind.THEME_DAY, when)
        _held(tree["a1"], MeetingKind.GROUP_MEETING, when, [tree["a1_group"]])
        committee = _held(tree["a1"], MeetingKind.BRANCH_COMMITTEE, when)
        present = Attendance(
            meeting=committee,
            member_id=secretary.id,
            status=AttendanceStatus.PRESENT,
            method=CheckinMethod.MANUAL,
            checked_in_at=when,
        )
        db.session.add(present)
    _held(tree["a1"], MeetingKind.BRANCH_ASSEMBLY, datetime(2026, 8, 20, 1, 0, tzinfo=UTC))
    _held(tree["a1"], MeetingKind.PARTY_LECTURE, datetime(2026, 9, 20, 1, 0, tzinfo=UTC))
    db.session.commit()


def test_committee_sees_branches_that_missed_meetings(browser, make_admin, tree, quarter_with_meetings):
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])
    page = browser("dangwei").get("/admin/meetings/compliance?quarter=2026-3").get_data(as_text=True)
    rows = re.findall(r'<tr( class="has-missing")?><th scope="row" class="branch-col">([^<]+)</th>', page)
    assert {name for flag, name in rows if flag} == {"甲二支部", "乙一支部"}
    assert {name for flag, name in rows if not flag} == {"甲一支部"}
    assert "三会一课落实情况 · 2026年第3季度" in page


def test_export_lists_every_requirement(browser, make_admin, tree, quarter_with_meetings):
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])
    response = browser("dangwei").get("/admin/meetings/compliance.xlsx?quarter=2026-3")
    sheet = load_workbook(io.BytesIO(response.data))["明细"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == ("组织", "会议类型", "周期", "应开", "按时召开", "补录", "情况")
    assert any(row[0] == "甲二支部" and row[1] == "主题党日" and row[6] == "未开" for row in rows[1:])


def test_a_general_branch_sees_only_its_own_branches(browser, make_admin, tree, quarter_with_meetings):
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    page = browser("zongzhi").get("/admin/meetings/compliance?quarter=2026-3").get_data(as_text=True)
    assert "乙一支部" not in page and "甲二支部" in page


def test_attendance_rates_page_and_export(browser, make_admin, tree, quarter_with_meetings):
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])
    admin = browser("dangwei")
    page = admin.get("/admin/meetings/attendance?year=2026").get_data(as_text=True)
    rates = page[page.index('id="branch-rates"') : page.index('id="member-rates"')]
    assert "甲一支部" in rates and "乙一支部" in rates
    book = load_workbook(io.BytesIO(admin.get("/admin/meetings/attendance.xlsx?year=2026").data))
    members = list(book["党员出勤率"].iter_rows(values_only=True))
    assert members[0] == ("姓名", "支部", "应参会次数", "实到次数", "出勤率", "其中补录会议", "补录会议实到")
    assert any(row[0] == "支委" for row in members[1:])


def test_another_general_branch_sees_no_foreign_rates(browser, make_admin, tree, quarter_with_meetings):
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_b"])
    page = browser("zongzhi").get("/admin/meetings/attendance?year=2026").get_data(as_text=True)
    assert "甲一支部" not in page and "支委" not in page
