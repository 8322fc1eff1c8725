"""Secretary mode's live list: who has come to the meeting, who is on leave and who is still to come."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from server.auth.models import Role
from server.db import db
from server.meetings import checkin, codes, leave, services
from server.meetings.models import CheckinMethod, MeetingKind
from tests.meetings.conftest import bearer


@pytest.fixture
def meeting(make_meeting):
    return make_meeting()  # starts in 10 minutes; check-in is open


def live(client, meeting, member, token_for):
    return client.get(f"/api/meetings/{meeting.id}/arrivals", headers=bearer(token_for(member)))


def scan_meeting_code(client, meeting, member, token_for) -> None:
    response = client.post(
        f"/api/meetings/{meeting.id}/checkin",
        json={"code": codes.meeting_code(meeting)},
        headers=bearer(token_for(member)),
    )
    assert response.status_code == 200, response.get_json()


def scan_personal_code(client, meeting, member, secretary, token_for) -> None:
    code = client.get("/api/me/checkin-code", headers=bearer(token_for(member))).get_json()["code"]
    response = client.post(
        f"/api/meetings/{meeting.id}/scan-member", json={"code": code}, headers=bearer(token_for(secretary))
    )
    assert response.status_code == 200, response.get_json()


def check_in_at(meeting, member, moment: datetime) -> None:
    """A member's own scan at a given moment, through the check-in service."""
    checkin.check_in(checkin.load_scan(meeting.id, member), CheckinMethod.MEETING_CODE, now=moment)
    db.session.commit()


def on_approved_leave(meeting, member) -> None:
    leave.decide_leave(leave.request_leave(meeting, member, "在工地值班"), approve=True, decided_by_id=None)
    db.session.commit()


def test_counts_arrivals_newest_first_and_who_is_still_to_come(client, tree, make_member, shuji, meeting, token_for):
    zhang, li, wang, zhao = (make_member(tree["a1"], name) for name in ("张三", "李四", "王五", "赵六"))
    make_member(tree["a2"], "甲二的党员")  # another branch: not expected
    scan_meeting_code(client, meeting, zhang, token_for)
    scan_personal_code(client, meeting, li, shuji, token_for)
    on_approved_leave(meeting, wang)
    check_in_at(meeting, zhao, meeting.starts_at + timedelta(minutes=20))  # past the 5 minutes' grace

    response = live(client, meeting, shuji, token_for)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    counts = {key: body[key] for key in ("expected", "arrived", "present", "late", "leave", "not_arrived")}
    assert counts == {"expected": 5, "arrived": 3, "present": 2, "late": 1, "leave": 1, "not_arrived": 1}
    assert [(a["name"], a["status"], a["status_label"], a["method_label"]) for a in body["arrivals"]] == [
        ("赵六", "late", "迟到", "扫会议码"),
        ("李四", "present", "已到", "书记扫码"),
        ("张三", "present", "已到", "扫会议码"),
    ]
    assert body["arrivals"][0]["checked_in_at"] == (meeting.starts_at + timedelta(minutes=20)).isoformat()
    assert body["not_arrived_names"] == ["王书记"]
    assert body["on_leave_names"] == ["王五"]


def test_the_names_still_to_come_are_in_pinyin_order(client, tree, make_member, shuji, meeting, token_for):
    for name in ("张三", "李四", "安娜"):
        make_member(tree["a1"], name)

    body = live(client, meeting, shuji, token_for).get_json()

    assert body["arrivals"] == [] and body["on_leave_names"] == []
    assert body["not_arrived_names"] == ["安娜", "李四", "王书记", "张三"]


def test_a_group_meeting_expects_its_group_and_a_joint_one_both_branches(
    client, tree, make_member, shuji, make_meeting, token_for
):
    in_group = make_member(tree["a1"], "组员", group_id=tree["a1_group"].id)
    make_member(tree["a1"], "组外")
    make_member(tree["a2"], "甲二党员")
    group_meeting = make_meeting(kind=MeetingKind.GROUP_MEETING, participants=[tree["a1_group"]])
    joint = make_meeting(kind=MeetingKind.PARTY_LECTURE, participants=[tree["a1"], tree["a2"]])
    scan_meeting_code(client, group_meeting, in_group, token_for)

    by_group = live(client, group_meeting, shuji, token_for).get_json()
    both = live(client, joint, shuji, token_for).get_json()

    assert (by_group["expected"], [a["name"] for a in by_group["arrivals"]], by_group["not_arrived"]) == (
        1,
        ["组员"],
        0,
    )
    assert both["not_arrived_names"] == ["甲二党员", "王书记", "组外", "组员"]


def test_long_lists_are_cut_but_the_counts_cover_everyone(
    client, tree, make_member, shuji, meeting, token_for, monkeypatch
):
    members = [make_member(tree["a1"]) for _ in range(4)]
    for member in members[:3]:
        scan_meeting_code(client, meeting, member, token_for)
    monkeypatch.setattr(services, "LIVE_NAMES_SHOWN", 2)

    body = live(client, meeting, shuji, token_for).get_json()

    assert (body["expected"], body["arrived"], body["not_arrived"]) == (5, 3, 2)
    assert len(body["arrivals"]) == 2 and len(body["not_arrived_names"]) == 2


def test_polling_costs_the_same_few_queries_however_many_members(client, tree, make_member, shuji, meeting, token_for):
    token = token_for(shuji)

    def queries_per_poll() -> int:
        statements = []

        def record(*args):
            statements.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert client.get(f"/api/meetings/{meeting.id}/arrivals", headers=bearer(token)).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        return len(statements)

    few = queries_per_poll()
    members = [make_member(tree["a1"]) for _ in range(12)]
    for member in members[:6]:
        scan_meeting_code(client, meeting, member, token_for)
    many = queries_per_poll()
    assert many == few <= 8


def test_an_ordinary_participant_is_refused_in_chinese(client, tree, make_member, meeting, token_for):
    member = make_member(tree["a1"], "张三")

    response = live(client, meeting, member, token_for)

    assert response.status_code == 403
    assert response.get_json()["error"]["message"] == "只有本支部书记或上级党组织管理员可以查看签到情况"


def test_another_branchs_secretary_and_a_read_only_committee_member_are_refused(
    client, tree, make_member, make_admin, meeting, token_for
):
    other = make_member(tree["a2"], "甲二书记")
    make_admin("other", Role.SECRETARY, tree["a2"], member_id=other.id)
    reader = make_member(tree["a1"], "支委")
    make_admin("reader", Role.COMMITTEE, tree["a1"], member_id=reader.id)

    assert live(client, meeting, other, token_for).status_code == 403
    assert live(client, meeting, reader, token_for).status_code == 403


def test_the_general_branch_above_may_look_and_no_session_may_not(
    client, tree, make_member, make_admin, meeting, token_for
):
    overseer = make_member(tree["a2"], "总支书记")
    make_admin("overseer", Role.ORG_ADMIN, tree["general_a"], member_id=overseer.id)

    assert live(client, meeting, overseer, token_for).status_code == 200
    assert client.get(f"/api/meetings/{meeting.id}/arrivals").status_code == 401
    assert client.get("/api/meetings/999999/arrivals", headers=bearer(token_for(overseer))).status_code == 404


def test_the_admin_live_screen_counts_the_same_roster(
    browser, make_admin, client, tree, make_member, meeting, token_for
):
    make_admin("shuji_web", Role.SECRETARY, tree["a1"])
    scan_meeting_code(client, meeting, make_member(tree["a1"], "张三"), token_for)
    make_member(tree["a1"], "李四")

    fragment = browser("shuji_web").get(f"/admin/meetings/{meeting.id}/live/arrivals").get_data(as_text=True)

    assert '<span id="arrived-count">1</span> <small>/ 2 人已签到</small>' in fragment
