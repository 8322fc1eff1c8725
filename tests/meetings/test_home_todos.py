"""The member's home page answers only what the server knows: the features on offer, the next meeting and
the meetings of today and tomorrow that still need the member (check in, show the code, leave pending)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.db import db, utcnow
from server.meetings import leave
from server.meetings.models import Attendance, AttendanceStatus, CheckinMethod
from tests.meetings.conftest import bearer


@pytest.fixture
def member(tree, make_member):
    return make_member(tree["a1"], "张三", phone="13812345678")


def _home(client, token_for, member) -> dict:
    response = client.get("/api/home", headers=bearer(token_for(member)))
    assert response.status_code == 200
    return response.get_json()


def test_the_home_offers_each_feature_that_has_landed_and_no_placeholder_figures(client, member, token_for):
    home = _home(client, token_for, member)
    assert home["features"] == ["meetings", "dues", "newspaper", "study"]
    assert home["next_meeting"] is None and home["todos"] == []
    assert not {"unpaid_dues_fen", "unread_newspapers", "open_quizzes"} & set(home)


def test_todos_are_the_meetings_of_today_and_tomorrow_still_needing_the_member(client, make_meeting, member, token_for):
    soon = make_meeting(starts_in=timedelta(hours=2), title="今天的会")
    strict = make_meeting(starts_in=timedelta(hours=24), title="明天的现场核验", strict_checkin=True)
    asked = make_meeting(starts_in=timedelta(hours=3), title="请了假的会")
    excused = make_meeting(starts_in=timedelta(hours=4), title="准了假的会")
    came = make_meeting(starts_in=timedelta(minutes=-20), title="已签到的会")
    make_meeting(starts_in=timedelta(days=3), title="三天后的会")
    leave.request_leave(asked, member, "在工地值班")
    leave.decide_leave(leave.request_leave(excused, member, "出差"), approve=True, decided_by_id=None)
    db.session.add(
        Attendance(
            meeting_id=came.id,
            member_id=member.id,
            status=AttendanceStatus.PRESENT,
            method=CheckinMethod.MEETING_CODE,
            checked_in_at=utcnow(),
        )
    )
    db.session.commit()

    home = _home(client, token_for, member)
    assert [(t["action"], t["meeting"]["title"]) for t in home["todos"]] == [
        ("checkin", "今天的会"),
        ("leave_pending", "请了假的会"),
        ("show_code", "明天的现场核验"),
    ]
    assert home["next_meeting"]["title"] == "已签到的会"  # under way: still the one to go to
    assert home["todos"][0]["meeting"] == {
        "id": soon.id,
        "title": "今天的会",
        "starts_at": soon.starts_at.isoformat(),
        "ends_at": soon.ends_at.isoformat(),
        "place": "三楼会议室",
        "strict_checkin": False,
    }
    assert strict.id in [t["meeting"]["id"] for t in home["todos"]]


def test_a_cancelled_meeting_or_one_whose_check_in_closed_is_no_todo(client, make_meeting, member, token_for):
    cancelled = make_meeting(starts_in=timedelta(hours=2), title="取消的会")
    cancelled.cancelled_at = utcnow()
    closed = make_meeting(starts_in=timedelta(minutes=-100), title="签到已截止的会")
    closed.checkin_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    home = _home(client, token_for, member)
    assert home["todos"] == []
    assert home["next_meeting"]["title"] == "签到已截止的会"
