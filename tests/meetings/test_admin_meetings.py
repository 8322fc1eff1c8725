"""The secretary's meeting pages: schedule, attendance, leave decisions, manual check-in, live screen."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from server.audit.models import AuditLog
from server.auth.member_services import _start_session
from server.auth.models import Role
from server.db import db
from server.meetings import codes, leave
from server.meetings.models import Attendance, Meeting
from server.timezone import local_today
from tests.meetings.conftest import bearer

NEXT_WEEK = local_today() + timedelta(days=7)


@pytest.fixture
def secretary(browser, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"], display_name="王书记")
    return browser("shuji")


def test_secretary_schedules_a_meeting_in_local_time(secretary, tree):
    response = secretary.post(
        "/admin/meetings/new",
        {
            "kind": "theme_day",
            "title": "十一月主题党日",
            "organiser_id": tree["a1"].id,
            "day": NEXT_WEEK.isoformat(),
            "starts": "09:00",
            "ends": "11:00",
            "place": "三楼会议室",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    meeting = db.session.scalar(sa.select(Meeting))
    assert meeting.starts_at.isoformat() == f"{NEXT_WEEK.isoformat()}T01:00:00+00:00"  # 09:00 in Beijing
    assert [org.id for org in meeting.participant_orgs] == [tree["a1"].id]
    assert "十一月主题党日" in secretary.get("/admin/meetings/").get_data(as_text=True)
    created = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "meeting.create"))
    assert created.after["participant_orgs"] == [tree["a1"].id]  # who was invited is part of the record
    assert "安排会议" in secretary.get("/admin/audit").get_data(as_text=True)


def test_bad_meeting_form_says_what_is_wrong(secretary, tree):
    response = secretary.post(
        "/admin/meetings/new",
        {
            "kind": "theme_day",
            "title": "",
            "organiser_id": tree["a1"].id,
            "day": "2026-12-01",
            "starts": "11:00",
            "ends": "09:00",
            "geo_lat": "39.9",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "此项必填" in html and "结束时间应晚于开始时间" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_secretary_cannot_schedule_for_a_sibling_branch(secretary, tree):
    response = secretary.post(
        "/admin/meetings/new",
        {
            "kind": "theme_day",
            "title": "越权",
            "organiser_id": tree["b1"].id,
            "day": "2026-12-01",
            "starts": "09:00",
            "ends": "10:00",
        },
    )
    assert response.status_code == 404


def test_manual_check_in_and_leave_decision_through_the_page(secretary, make_meeting, tree, make_member):
    elder = make_member(tree["a1"], "老党员")
    asker = make_member(tree["a1"], "请假人")
    meeting = make_meeting(starts_in=timedelta(hours=1))
    request = leave.request_leave(meeting, asker, "在外地施工")
    meeting.starts_at -= timedelta(hours=1, minutes=10)  # the meeting is now under way
    meeting.checkin_opens_at -= timedelta(hours=1, minutes=10)
    db.session.commit()
    secretary.post(f"/admin/meetings/{meeting.id}/manual", {"member_id": elder.id, "reason": "无智能手机"})
    secretary.post(f"/admin/meetings/{meeting.id}/leave/{request.id}", {"decision": "approve"})
    rows = {row.member_id: row for row in db.session.scalars(sa.select(Attendance))}
    assert rows[elder.id].note == "无智能手机" and rows[asker.id].status.value == "leave"
    page = secretary.get(f"/admin/meetings/{meeting.id}").get_data(as_text=True)
    assert "已批准" in page and "手工" in page


def test_manual_check_in_without_a_reason_is_refused(secretary, make_meeting, tree, make_member):
    elder = make_member(tree["a1"], "老党员")
    meeting = make_meeting()
    response = secretary.post(f"/admin/meetings/{meeting.id}/manual", {"member_id": elder.id, "reason": ""})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0


def test_live_screen_shows_a_fresh_qr_and_the_arrivals(secretary, make_meeting, tree, make_member, client, token_for):
    member = make_member(tree["a1"], "张三")
    meeting = make_meeting()
    assert "投屏签到" in secretary.get(f"/admin/meetings/{meeting.id}/live").get_data(as_text=True)
    fragment = secretary.get(f"/admin/meetings/{meeting.id}/live/code").get_data(as_text=True)
    code = re.search(r'data-code="([^"]+)"', fragment).group(1)
    assert "data:image/png;base64," in fragment
    client.post(
        f"/api/meetings/{meeting.id}/checkin",
        json={"code": code},
        headers={"Authorization": f"Bearer {token_for(member)}"},
    )
    arrivals = secretary.get(f"/admin/meetings/{meeting.id}/live/arrivals").get_data(as_text=True)
    assert '<span id="arrived-count">1</span>' in arrivals and "张三" in arrivals


def test_poster_is_a_mini_program_code(secretary, make_meeting):
    meeting = make_meeting()
    response = secretary.get(f"/admin/meetings/{meeting.id}/poster.png")
    assert response.mimetype == "image/png" and response.data.startswith(b"\x89PNG")


def test_another_branch_secretary_sees_none_of_it(browser, make_admin, make_meeting, tree):
    make_admin("other", Role.SECRETARY, tree["b1"])
    meeting = make_meeting()
    other = browser("other")
    for path in ("", "/live", "/live/code", "/live/arrivals", "/poster.png"):
        assert other.get(f"/admin/meetings/{meeting.id}{path}").status_code == 404, path
    assert meeting.title not in other.get("/admin/meetings/").get_data(as_text=True)


def test_calendar_places_meetings_on_their_beijing_day(secretary, make_meeting, tree):
    meeting = make_meeting(starts_in=timedelta(days=1))
    local = meeting.starts_at.astimezone(ZoneInfo("Asia/Shanghai"))
    page = secretary.get(f"/admin/meetings/calendar?month={local:%Y-%m}").get_data(as_text=True)
    assert f"/admin/meetings/{meeting.id}" in page and f"{local:%H:%M} 主题党日" in page
    assert secretary.get("/admin/meetings/calendar?month=garbage").status_code == 200


def test_cancelling_a_meeting_stops_check_in(secretary, make_meeting, tree, make_member, client):
    meeting = make_meeting(starts_in=timedelta(minutes=20))
    assert secretary.post(f"/admin/meetings/{meeting.id}/cancel").status_code == 302
    assert "会议已取消" in secretary.get(f"/admin/meetings/{meeting.id}").get_data(as_text=True)
    member = make_member(tree["a1"], "张三")
    token = _start_session(member, "openid-cancel").token
    db.session.commit()
    refused = client.post(
        f"/api/meetings/{meeting.id}/checkin", json={"code": codes.meeting_code(meeting)}, headers=bearer(token)
    )
    assert refused.get_json()["error"] == {"code": "meeting_cancelled", "message": "会议已取消"}


def test_a_meeting_under_way_cannot_be_cancelled(secretary, make_meeting):
    meeting = make_meeting(starts_in=timedelta(minutes=-5))
    response = secretary.post(f"/admin/meetings/{meeting.id}/cancel")
    assert response.status_code == 400 and "已经开始" in response.get_data(as_text=True)


def test_refused_scans_are_listed_for_the_secretary_with_the_reason_given(secretary, tree, make_member, make_meeting):
    meeting = make_meeting(tree["a1"])
    other = make_meeting(tree["a1"], title="支部委员会")
    member = make_member(tree["a1"], "张三")
    token = _start_session(member, "openid-zhang").token
    db.session.commit()
    forged = codes.meeting_code(meeting)[:-2] + "xx"
    secretary.client.post(f"/api/meetings/{meeting.id}/checkin", json={"code": forged}, headers=bearer(token))
    elsewhere = codes.meeting_code(other)
    secretary.client.post(f"/api/meetings/{meeting.id}/checkin", json={"code": elsewhere}, headers=bearer(token))

    page = secretary.get(f"/admin/meetings/{meeting.id}").get_data(as_text=True)

    assert "未成功的扫码（2 次）" in page
    refused = page[page.index('id="refused-scans"') : page.index("</table>", page.index('id="refused-scans"'))]
    assert refused.index("这是另一场会议的签到码") < refused.index("签到码无效（可能被篡改或伪造）")  # newest first
    assert refused.count("张三") == 2


def test_a_meeting_nobody_was_refused_at_shows_no_refusal_list(secretary, tree, make_meeting):
    meeting = make_meeting(tree["a1"])
    assert 'id="refused-scans"' not in secretary.get(f"/admin/meetings/{meeting.id}").get_data(as_text=True)
