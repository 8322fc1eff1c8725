"""Bad input to the meetings API, as the API fuzzer sent it: a 4xx in the one error shape, in Chinese,
never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.auth.models import Role
from server.db import db
from server.meetings import codes
from server.meetings.models import Meeting
from server.timezone import local_today
from tests.meetings.conftest import bearer

VENUE = (39.9087, 116.3975, 200)  # 天安门, 200 m


@pytest.fixture
def member(tree, make_member):
    return make_member(tree["a1"], "张三")


@pytest.mark.parametrize(
    "location", [{"latitude": 39.9087}, {"longitude": 116.3975}, {"latitude": 0.0, "longitude": None}]
)
def test_a_check_in_with_half_a_location_is_refused(client, make_meeting, member, token_for, location):
    fenced = make_meeting(starts_in=-timedelta(minutes=5), geofence=VENUE)
    response = client.post(
        f"/api/meetings/{fenced.id}/checkin",
        json={"code": codes.meeting_code(fenced), **location},
        headers=bearer(token_for(member)),
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert error["fields"] == {"longitude" if "latitude" in location else "latitude": ["纬度和经度需同时提供"]}


def test_a_time_the_form_cannot_read_is_refused_in_chinese(client, tree, make_member, make_admin, token_for):
    secretary = make_member(tree["a1"], "王书记")
    make_admin("shuji", Role.SECRETARY, tree["a1"], member_id=secretary.id)
    form = {"kind": "theme_day", "title": "主题党日", "organiser_id": tree["a1"].id, "day": local_today().isoformat()}
    response = client.post(
        "/api/meetings", json=form | {"starts": "9点", "ends": ""}, headers=bearer(token_for(secretary))
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"starts": ["时间格式应为 HH:MM"], "ends": ["时间格式应为 HH:MM"]}


@pytest.mark.parametrize("meeting_id", [2**31, 2**63])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/meetings/{}", None),
        ("GET", "/api/meetings/{}/arrivals", None),
        ("POST", "/api/meetings/{}/checkin", {"code": "M1.forged"}),
        ("POST", "/api/meetings/{}/scan-member", {"code": "U1.forged"}),
        ("POST", "/api/meetings/{}/leave", {"reason": "出差"}),
    ],
)
def test_a_meeting_id_no_database_can_hold_is_not_found(client, member, token_for, meeting_id, method, path, body):
    response = client.open(path.format(meeting_id), method=method, json=body, headers=bearer(token_for(member)))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("ids", [{"organiser_id": 2**63}, {"participant_ids": [2**31]}])
def test_an_organisation_id_no_database_can_hold_is_refused(client, tree, make_member, make_admin, token_for, ids):
    secretary = make_member(tree["a1"], "王书记")
    make_admin("shuji", Role.SECRETARY, tree["a1"], member_id=secretary.id)
    form = {"kind": "theme_day", "title": "主题党日", "organiser_id": tree["a1"].id, "day": local_today().isoformat()}
    form |= {"starts": "19:00", "ends": "21:00"} | ids
    response = client.post("/api/meetings", json=form, headers=bearer(token_for(secretary)))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        key: ["没有这个编号的记录"] if key == "organiser_id" else {"0": ["没有这个编号的记录"]} for key in ids
    }


def test_a_participant_named_twice_takes_part_once(client, tree, make_member, make_admin, token_for):
    secretary = make_member(tree["a1"], "王书记")
    make_admin("shuji", Role.SECRETARY, tree["a1"], member_id=secretary.id)
    form = {
        "kind": "group_meeting",
        "title": "党小组会",
        "organiser_id": tree["a1"].id,
        "starts": "19:00",
        "ends": "21:00",
    }
    form |= {"day": (local_today() + timedelta(days=1)).isoformat()}
    group = tree["a1_group"].id
    response = client.post(
        "/api/meetings", json=form | {"participant_ids": [group, group]}, headers=bearer(token_for(secretary))
    )
    assert response.status_code == 201, response.get_json()
    meeting = db.session.get(Meeting, response.get_json()["id"])
    assert [org.name for org in meeting.participant_orgs] == ["第一党小组"]
