"""Presence that cannot be faked from home: what a refused scan gives away, who may fill a meeting's
refusal list, how often a member may guess, the marks a secretary should look at, and 现场核验."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.db import db
from server.meetings import codes
from server.meetings.models import Attendance, CheckinAttempt, Meeting
from server.timezone import local_today
from tests.meetings.conftest import bearer

VENUE = (39.9087, 116.3975)  # 天安门, a 200-metre fence
TOMORROW = (local_today() + timedelta(days=1)).isoformat()
INSIDE = {"latitude": 39.9090, "longitude": 116.3978, "accuracy": 30.0}  # ~40 m from the centre
NORTH_850_M = {"latitude": 39.9163, "longitude": 116.3972, "accuracy": 20.0}  # 故宫北


@pytest.fixture
def member(tree, make_member):
    return make_member(tree["a1"], "张三")


@pytest.fixture
def fenced(make_meeting):
    return make_meeting(geofence=(*VENUE, 200))


def scan(client, meeting, token, code=None, **location):
    return client.post(
        f"/api/meetings/{meeting.id}/checkin",
        json={"code": code or codes.meeting_code(meeting), **location},
        headers=bearer(token),
    )


def personal_scan(client, meeting, member, secretary, token_for):
    code = client.get("/api/me/checkin-code", headers=bearer(token_for(member))).get_json()["code"]
    return client.post(
        f"/api/meetings/{meeting.id}/scan-member", json={"code": code}, headers=bearer(token_for(secretary))
    )


def code_shown_seconds_ago(meeting, seconds: float, monkeypatch) -> str:
    real_time = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - seconds)
    code = codes.meeting_code(meeting)
    monkeypatch.undo()
    return code


def attendance_count(meeting) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Attendance).where(Attendance.meeting_id == meeting.id)
    )


def attempts_at(meeting) -> list[str]:
    return list(db.session.scalars(sa.select(CheckinAttempt.result).where(CheckinAttempt.meeting_id == meeting.id)))


def arrivals_by_name(client, meeting, secretary, token_for) -> dict[str, list[dict]]:
    body = client.get(f"/api/meetings/{meeting.id}/arrivals", headers=bearer(token_for(secretary))).get_json()
    return {arrival["name"]: arrival["flags"] for arrival in body["arrivals"]}


# --- a refusal gives nothing away ------------------------------------------------------------------


def test_outside_the_fence_the_member_learns_neither_distance_nor_direction(client, fenced, member, token_for):
    token = token_for(member)
    far_away = [NORTH_850_M, {"latitude": 39.80, "longitude": 116.50}, {"latitude": 31.23, "longitude": 121.47}]

    answers = [scan(client, fenced, token, **where).get_json()["error"] for where in far_away]

    assert answers[0] == answers[1] == answers[2]  # 850 m north, 15 km south-east and Shanghai read the same
    assert answers[0]["code"] == "outside_geofence"
    assert not re.search(r"\d", answers[0]["message"]), answers[0]["message"]


def test_the_secretary_sees_how_far_away_a_refused_member_was(client, browser, fenced, member, shuji, token_for):
    scan(client, fenced, token_for(member), **NORTH_850_M)

    page = browser("shuji").get(f"/admin/meetings/{fenced.id}").get_data(as_text=True)

    refused = page[page.index('id="refused-scans"') :]
    assert "张三" in refused and "距会场约 84" in refused and "200 米" in refused


def test_a_member_of_another_branch_gets_one_answer_and_leaves_nothing_in_the_meetings_list(
    client, make_meeting, tree, make_member, token_for, monkeypatch
):
    meeting = make_meeting(geofence=(*VENUE, 200))
    not_yet_open = make_meeting(starts_in=timedelta(hours=5))
    outsider = make_member(tree["b1"], "外支部党员")
    token = token_for(outsider)
    good = codes.meeting_code(meeting)
    tries = [
        (meeting, good),
        (meeting, good[:-2] + "xx"),  # forged
        (meeting, code_shown_seconds_ago(meeting, 60, monkeypatch)),  # expired
        (meeting, "hello"),  # not a code at all
        (not_yet_open, codes.meeting_code(not_yet_open)),
    ]

    answers = [scan(client, where, token, code, **NORTH_850_M) for where, code in tries]

    assert {response.status_code for response in answers} == {404}  # not theirs: as if it did not exist
    assert all(
        response.get_json()["error"] == {"code": "not_found", "message": "会议不存在"} for response in answers
    ), [response.get_json() for response in answers]
    assert attempts_at(meeting) == [] and attempts_at(not_yet_open) == []


# --- guessing is rate-limited ----------------------------------------------------------------------


def test_after_five_refusals_the_member_must_wait_and_nothing_is_evaluated(client, fenced, member, token_for):
    token = token_for(member)
    for _ in range(5):
        assert scan(client, fenced, token, **NORTH_850_M).get_json()["error"]["code"] == "outside_geofence"

    inside = scan(client, fenced, token, **INSIDE)

    assert inside.status_code == 429
    assert inside.get_json()["error"] == {"code": "too_many_attempts", "message": "尝试次数过多，请稍后再试"}
    assert attendance_count(fenced) == 0
    # a good location, a forged code: the same answer, so a member cannot learn which guess was right
    assert scan(client, fenced, token, codes.meeting_code(fenced)[:-2] + "xx", **INSIDE).status_code == 429


def test_the_limit_is_per_member_and_meeting_and_lifts_after_the_window(
    client, make_meeting, fenced, member, tree, make_member, token_for
):
    token = token_for(member)
    for _ in range(5):
        scan(client, fenced, token, **NORTH_850_M)
    neighbour = make_member(tree["a1"], "李四")
    assert scan(client, fenced, token_for(neighbour), **INSIDE).status_code == 200
    other_meeting = make_meeting(geofence=(*VENUE, 200), title="支部党员大会")
    assert scan(client, other_meeting, token, **INSIDE).status_code == 200

    for attempt in db.session.scalars(sa.select(CheckinAttempt)):
        attempt.created_at -= timedelta(minutes=11)
    db.session.commit()

    assert scan(client, fenced, token, **INSIDE).status_code == 200


@pytest.mark.parametrize("refused", ["forged", "expired", "another meeting's"])
def test_bad_codes_count_towards_the_limit(client, make_meeting, fenced, member, token_for, monkeypatch, refused):
    other = make_meeting(title="支部委员会")
    code = {
        "forged": codes.meeting_code(fenced)[:-2] + "xx",
        "expired": code_shown_seconds_ago(fenced, 60, monkeypatch),
        "another meeting's": codes.meeting_code(other),
    }[refused]
    token = token_for(member)
    for _ in range(5):
        assert scan(client, fenced, token, code, **INSIDE).status_code == 400

    assert scan(client, fenced, token, **INSIDE).status_code == 429


def test_repeated_and_meeting_state_refusals_do_not_count(client, make_meeting, member, token_for):
    token = token_for(member)
    later = make_meeting(starts_in=timedelta(minutes=45))  # check-in opens in a quarter of an hour
    for _ in range(6):
        assert scan(client, later, token).get_json()["error"]["code"] == "checkin_not_open"
    later.checkin_opens_at -= timedelta(minutes=20)
    db.session.commit()
    assert scan(client, later, token).status_code == 200
    for _ in range(6):
        assert scan(client, later, token).get_json()["already"] is True


# --- marks for the secretary -----------------------------------------------------------------------


def test_identical_coordinates_from_several_members_mark_them_all_once(
    client, make_meeting, fenced, tree, make_member, shuji, token_for
):
    earlier, later = (make_meeting(geofence=(*VENUE, 200), title=title) for title in ("支部党员大会", "党课"))
    scan(client, earlier, token_for(make_member(tree["a1"], "赵六")), **INSIDE)  # other meetings: no match
    for name in ("张三", "李四", "王五"):
        scan(client, fenced, token_for(make_member(tree["a1"], name)), **INSIDE)
    scan(client, later, token_for(make_member(tree["a1"], "钱九")), **INSIDE)
    same_latitude = {**INSIDE, "longitude": INSIDE["longitude"] + 0.00001}
    same_longitude = {**INSIDE, "latitude": INSIDE["latitude"] + 0.00001}
    scan(client, fenced, token_for(make_member(tree["a1"], "孙七")), **same_latitude)
    scan(client, fenced, token_for(make_member(tree["a1"], "周八")), **same_longitude)

    flags = arrivals_by_name(client, fenced, shuji, token_for)

    same = [{"code": "same_location", "label": "与其他党员的定位完全相同"}]
    assert flags == {"张三": same, "李四": same, "王五": same, "孙七": [], "周八": []}
    assert arrivals_by_name(client, earlier, shuji, token_for) == {"赵六": []}
    assert arrivals_by_name(client, later, shuji, token_for) == {"钱九": []}


@pytest.mark.parametrize("metres_north", [0, 2])
def test_coordinates_at_the_fence_centre_are_marked(client, fenced, member, shuji, token_for, metres_north):
    lat = VENUE[0] + metres_north / 111_195
    assert scan(client, fenced, token_for(member), latitude=lat, longitude=VENUE[1], accuracy=15.0).status_code == 200

    assert [flag["code"] for flag in arrivals_by_name(client, fenced, shuji, token_for)["张三"]] == ["fence_centre"]


def test_a_location_without_an_accuracy_figure_is_marked(client, fenced, member, shuji, token_for):
    scan(client, fenced, token_for(member), latitude=INSIDE["latitude"], longitude=INSIDE["longitude"])

    assert arrivals_by_name(client, fenced, shuji, token_for)["张三"] == [
        {"code": "no_accuracy", "label": "手机未提供定位精度"}
    ]


def test_success_after_refused_guesses_is_marked(client, fenced, member, shuji, token_for):
    token = token_for(member)
    scan(client, fenced, token, **NORTH_850_M)
    scan(client, fenced, token, **INSIDE)

    assert [flag["code"] for flag in arrivals_by_name(client, fenced, shuji, token_for)["张三"]] == ["after_refusals"]


def test_a_meeting_without_a_fence_and_the_secretarys_scans_carry_no_marks(
    client, make_meeting, fenced, member, tree, make_member, shuji, token_for
):
    plain = make_meeting()
    assert scan(client, plain, token_for(member), latitude=VENUE[0], longitude=VENUE[1]).status_code == 200
    brought = make_member(tree["a1"], "老党员")
    assert personal_scan(client, fenced, brought, shuji, token_for).status_code == 200

    assert arrivals_by_name(client, plain, shuji, token_for) == {"张三": []}
    assert arrivals_by_name(client, fenced, shuji, token_for) == {"老党员": []}


def test_marks_show_on_the_roster_and_the_projector(client, browser, fenced, member, shuji, token_for):
    scan(client, fenced, token_for(member), latitude=VENUE[0], longitude=VENUE[1])
    secretary = browser("shuji")

    roster = secretary.get(f"/admin/meetings/{fenced.id}").get_data(as_text=True)
    projector = secretary.get(f"/admin/meetings/{fenced.id}/live/arrivals").get_data(as_text=True)

    row = roster[roster.index('id="roster"') :]
    row = row[row.index("张三") : row.index("</tr>", row.index("张三"))]
    assert 'title="定位恰在会场中心点' in row and 'title="手机未提供定位精度"' in row
    assert projector.count('class="checkin-flag"') == 2 and "定位恰在会场中心点" in projector


def test_accuracy_is_a_distance_in_metres(client, fenced, member, token_for):
    token = token_for(member)
    refused = scan(client, fenced, token, latitude=39.909, longitude=116.3978, accuracy=-5)

    assert refused.status_code == 422
    assert list(refused.get_json()["error"]["fields"]) == ["accuracy"]
    assert scan(client, fenced, token, latitude=39.909, longitude=116.3978, accuracy=65.0).status_code == 200


@pytest.mark.parametrize(
    "location", [{"latitude": 39.909}, {"longitude": 116.3978}, {"latitude": 39.909, "longitude": None}]
)
def test_half_a_location_is_refused_in_chinese_not_a_server_error(client, fenced, member, token_for, location):
    response = scan(client, fenced, token_for(member), **location)

    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert "纬度和经度" in str(error["fields"])
    assert attempts_at(fenced) == []


# --- the secretary's own scans at a fenced meeting -------------------------------------------------


def test_the_secretary_scans_members_in_at_a_fenced_meeting(client, fenced, member, shuji, token_for):
    response = personal_scan(client, fenced, member, shuji, token_for)

    assert response.status_code == 200, response.get_json()
    assert attendance_count(fenced) == 1


# --- 现场核验 (strict mode) ---------------------------------------------------------------------------


def test_in_strict_mode_a_members_own_scan_does_not_count(client, make_meeting, member, shuji, token_for):
    strict = make_meeting(strict_checkin=True)

    own = scan(client, strict, token_for(member))

    assert own.status_code == 400
    assert own.get_json()["error"]["code"] == "strict_checkin"
    assert "个人签到码" in own.get_json()["error"]["message"]
    assert attendance_count(strict) == 0 and attempts_at(strict) == ["strict_checkin"]
    assert personal_scan(client, strict, member, shuji, token_for).status_code == 200
    assert attendance_count(strict) == 1


def test_in_strict_mode_the_secretary_may_still_mark_by_hand(browser, make_meeting, tree, make_member, shuji):
    strict = make_meeting(strict_checkin=True)
    elder = make_member(tree["a1"], "老党员")

    browser("shuji").post(f"/admin/meetings/{strict.id}/manual", {"member_id": elder.id, "reason": "无智能手机"})

    assert attendance_count(strict) == 1


def strict_meeting_form(organiser, strict) -> dict:
    return {
        "kind": "theme_day",
        "title": "组织生活会",
        "organiser_id": organiser.id,
        "day": TOMORROW,
        "starts": "09:00",
        "ends": "11:00",
        "strict_checkin": strict,
    }


def test_strict_mode_is_chosen_when_scheduling_and_editing(browser, tree, shuji):
    secretary = browser("shuji")
    form = strict_meeting_form(tree["a1"], "y")
    assert secretary.post("/admin/meetings/new", form).status_code == 302
    meeting = db.session.scalar(sa.select(Meeting))
    assert meeting.strict_checkin is True
    edit_page = secretary.get(f"/admin/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="strict_checkin"[^>]*checked', edit_page)
    assert "现场核验" in secretary.get(f"/admin/meetings/{meeting.id}").get_data(as_text=True)

    del form["strict_checkin"], form["organiser_id"]
    assert secretary.post(f"/admin/meetings/{meeting.id}/edit", form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).strict_checkin is False

    assert secretary.post(f"/admin/meetings/{meeting.id}/edit", form | {"strict_checkin": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).strict_checkin is True


def test_strict_mode_is_chosen_from_the_phone(client, tree, shuji, token_for):
    form = strict_meeting_form(tree["a1"], True)
    response = client.post("/api/meetings", json=form, headers=bearer(token_for(shuji)))

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["strict_checkin"] is True
    assert db.session.get(Meeting, response.get_json()["id"]).strict_checkin is True


def test_the_projector_of_a_strict_meeting_shows_no_code(browser, make_meeting, shuji):
    strict = make_meeting(strict_checkin=True)
    secretary = browser("shuji")

    page = secretary.get(f"/admin/meetings/{strict.id}/live").get_data(as_text=True)
    fragment = secretary.get(f"/admin/meetings/{strict.id}/live/code").get_data(as_text=True)

    assert "现场核验" in page and "个人签到码" in page
    assert 'id="code-box"' not in page
    assert "data-code" not in fragment and "现场核验" in fragment
