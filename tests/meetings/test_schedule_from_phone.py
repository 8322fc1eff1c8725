"""Secretary mode in the mini-program: scheduling a meeting from the phone, and who may."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server.audit.models import AuditLog
from server.auth.models import AdminUser, Role
from server.db import db
from server.meetings.models import Meeting
from server.meetings.services import is_participant
from server.orgs.models import OrgKind
from server.orgs.services import dissolve_org
from server.timezone import local_today
from tests.meetings.conftest import bearer

TOMORROW = (local_today() + timedelta(days=1)).isoformat()


def form(org, **overrides) -> dict:
    return {
        "kind": "theme_day",
        "title": "十一月主题党日",
        "organiser_id": org.id,
        "day": TOMORROW,
        "starts": "09:00",
        "ends": "11:30",
        "place": "三楼会议室",
    } | overrides


def meeting_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Meeting))


def account_id(member) -> int:
    return db.session.scalar(sa.select(AdminUser.id).where(AdminUser.member_id == member.id))


def test_a_secretary_schedules_a_meeting_of_the_branch(client, tree, shuji, token_for):
    response = client.post("/api/meetings", json=form(tree["a1"]), headers=bearer(token_for(shuji)))

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["title"] == "十一月主题党日"
    assert body["kind_label"] == "主题党日"
    assert body["organiser"] == "甲一支部"
    meeting = db.session.get(Meeting, body["id"])
    # 09:00 Beijing is 01:00 UTC; check-in opens 30 minutes early and closes at the end
    day = datetime.fromisoformat(TOMORROW)
    assert meeting.starts_at == datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)
    assert meeting.ends_at == datetime(day.year, day.month, day.day, 3, 30, tzinfo=UTC)
    assert meeting.checkin_opens_at == meeting.starts_at - timedelta(minutes=30)
    assert [org.name for org in meeting.participant_orgs] == ["甲一支部"]
    assert meeting.geo_radius_m is None
    assert meeting.created_by_id == account_id(shuji)


def test_the_new_meeting_is_audited_as_the_account_acting_from_the_phone(client, tree, shuji, token_for):
    meeting_id = client.post("/api/meetings", json=form(tree["a1"]), headers=bearer(token_for(shuji))).get_json()["id"]

    row = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.entity_type == "meeting", AuditLog.entity_id == meeting_id)
    ).one()
    assert row.action == "meeting.create"
    assert (row.actor_kind, row.actor_id, row.actor_name) == ("admin_phone", account_id(shuji), "王书记（小程序）")
    assert row.org_id == tree["a1"].id
    assert row.after["created_by_id"] == account_id(shuji)
    assert row.after["title"] == "十一月主题党日"
    assert "code_secret" not in row.after


def test_one_party_group_may_take_part_instead_of_the_branch(client, tree, shuji, make_member, token_for):
    in_group = make_member(tree["a1"], "组员", group_id=tree["a1_group"].id)
    outside = make_member(tree["a1"], "非组员")
    response = client.post(
        "/api/meetings",
        json=form(tree["a1"], kind="group_meeting", participant_ids=[tree["a1_group"].id]),
        headers=bearer(token_for(shuji)),
    )

    assert response.status_code == 201, response.get_json()
    meeting = db.session.get(Meeting, response.get_json()["id"])
    assert [org.name for org in meeting.participant_orgs] == ["第一党小组"]
    assert is_participant(meeting, in_group) and not is_participant(meeting, outside)


def test_my_current_location_becomes_the_geofence(client, tree, shuji, token_for):
    location = {"geo_lat": 39.909, "geo_lng": 116.3978, "geo_radius_m": 200}
    response = client.post("/api/meetings", json=form(tree["a1"], **location), headers=bearer(token_for(shuji)))

    assert response.get_json()["needs_location"] is True
    meeting = db.session.get(Meeting, response.get_json()["id"])
    assert (meeting.geo_lat, meeting.geo_lng, meeting.geo_radius_m) == (39.909, 116.3978, 200)


def test_an_ordinary_member_may_not_schedule(client, tree, make_member, token_for):
    member = make_member(tree["a1"], "张三")
    response = client.post("/api/meetings", json=form(tree["a1"]), headers=bearer(token_for(member)))

    assert response.status_code == 403
    assert response.get_json() == {"error": {"code": "not_secretary", "message": "只有支部书记可以安排会议"}}
    assert meeting_count() == 0


@pytest.mark.parametrize(
    ("role", "account_org", "home", "participant", "status", "message"),
    [
        # another branch's secretary, for the branch or for one of its groups: as if it did not exist
        (Role.SECRETARY, "a2", "a2", "a1", 404, "组织不存在或已撤销"),
        (Role.SECRETARY, "a2", "a2", "a1_group", 404, "组织不存在或已撤销"),
        # a 支部委员 account is read-only: refused as the admin refuses it
        (Role.COMMITTEE, "a1", "a1", "a1", 403, "您的角色只能查看，不能修改"),
        # a general branch's admin over a sibling subtree
        (Role.ORG_ADMIN, "general_b", "b1", "a1", 404, "组织不存在或已撤销"),
    ],
)
def test_accounts_outside_or_read_only_are_refused(
    client, tree, make_member, make_admin, token_for, role, account_org, home, participant, status, message
):
    member = make_member(tree[home], "某书记")
    make_admin("someone", role, tree[account_org], member_id=member.id)
    response = client.post(
        "/api/meetings",
        json=form(tree["a1"], participant_ids=[tree[participant].id]),
        headers=bearer(token_for(member)),
    )

    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["message"] == message
    assert meeting_count() == 0


def test_a_disabled_account_no_longer_schedules(client, tree, make_member, make_admin, token_for):
    member = make_member(tree["a1"], "前任书记")
    make_admin("old", Role.SECRETARY, tree["a1"], member_id=member.id).active = False
    db.session.commit()
    response = client.post("/api/meetings", json=form(tree["a1"]), headers=bearer(token_for(member)))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "not_secretary"


def test_an_org_admin_who_is_a_member_schedules_within_the_subtree(client, tree, make_member, make_admin, token_for):
    member = make_member(tree["a2"], "总支书记")
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"], member_id=member.id)
    response = client.post("/api/meetings", json=form(tree["a1"]), headers=bearer(token_for(member)))
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ends": "08:00"}, "ends", "结束时间应晚于开始时间"),
        ({"title": ""}, "title", "长度应在 1 到 100 个字符之间"),
        ({"kind": "picnic"}, "kind", "取值不在允许范围内"),
        ({"day": "明天"}, "day", "日期格式应为 YYYY-MM-DD"),
        ({"geo_lat": 39.9, "geo_lng": 116.4}, "geo_radius_m", "定位签到需同时填写纬度、经度和半径"),
        ({"geo_lat": 39.9, "geo_lng": 116.4, "geo_radius_m": 5}, "geo_radius_m", "应在 20 到 5000 之间"),
        ({"organiser": 1}, "organiser", "不支持的字段"),
    ],
)
def test_the_form_is_checked_field_by_field_in_chinese(client, tree, shuji, token_for, overrides, field, message):
    response = client.post("/api/meetings", json=form(tree["a1"], **overrides), headers=bearer(token_for(shuji)))

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert message in error["fields"][field]


def test_a_radius_out_of_range_gets_one_message_not_two(client, tree, shuji, token_for):
    geo = {"geo_lat": 39.9, "geo_lng": 116.4, "geo_radius_m": 5}
    response = client.post("/api/meetings", json=form(tree["a1"], **geo), headers=bearer(token_for(shuji)))

    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["geo_radius_m"] == ["应在 20 到 5000 之间"]


def test_a_meeting_that_is_already_over_cannot_be_scheduled(client, tree, shuji, token_for):
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    response = client.post("/api/meetings", json=form(tree["a1"], day=yesterday), headers=bearer(token_for(shuji)))

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "start_passed"  # unless entered as 补录 (test_backfill.py)
    assert meeting_count() == 0


def test_a_dissolved_group_cannot_take_part(client, tree, shuji, token_for):
    dissolve_org(tree["a1_group"])
    db.session.commit()
    response = client.post(
        "/api/meetings", json=form(tree["a1"], participant_ids=[tree["a1_group"].id]), headers=bearer(token_for(shuji))
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "组织不存在或已撤销"


def test_options_offer_the_branch_its_groups_and_every_kind(client, tree, shuji, make_org, token_for):
    make_org("第二党小组", OrgKind.GROUP, tree["a1"])
    response = client.get("/api/meetings/options", headers=bearer(token_for(shuji)))

    assert response.status_code == 200
    body = response.get_json()
    assert body["branch"] == {"id": tree["a1"].id, "name": "甲一支部"}
    assert [group["name"] for group in body["groups"]] == ["第一党小组", "第二党小组"]
    assert [kind["label"] for kind in body["kinds"]] == [
        "支部党员大会",
        "支部委员会",
        "党小组会",
        "党课",
        "主题党日",
        "组织生活会",
        "谈心谈话",
        "其他",
    ]
    assert body["kinds"][4] == {"value": "theme_day", "label": "主题党日"}


def test_options_of_an_org_admin_are_their_own_branch(client, tree, make_member, make_admin, token_for):
    member = make_member(tree["a2"], "总支书记")
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"], member_id=member.id)
    body = client.get("/api/meetings/options", headers=bearer(token_for(member))).get_json()
    assert body["branch"]["name"] == "甲二支部"
    assert body["groups"] == []


def test_options_refuse_an_account_that_does_not_cover_the_members_branch(
    client, tree, make_member, make_admin, token_for
):
    member = make_member(tree["a1"], "乙总支书记")  # a member of 甲一支部 administering 乙党总支
    make_admin("yizongzhi", Role.ORG_ADMIN, tree["general_b"], member_id=member.id)
    response = client.get("/api/meetings/options", headers=bearer(token_for(member)))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "branch_out_of_scope"


@pytest.mark.parametrize("role", [None, Role.COMMITTEE])
def test_options_tell_others_they_may_not_schedule(client, tree, make_member, make_admin, token_for, role):
    member = make_member(tree["a1"], "张三")
    if role is not None:
        make_admin("zhiwei", role, tree["a1"], member_id=member.id)
    response = client.get("/api/meetings/options", headers=bearer(token_for(member)))
    assert response.status_code == 403
    assert response.get_json()["error"]["message"] in ("只有支部书记可以安排会议", "您的角色只能查看，不能修改")


def test_scheduling_needs_a_session(client, tree):
    response = client.post("/api/meetings", json=form(tree["a1"]))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_missing"


def test_the_contract_documents_secretary_mode_and_attendance(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/meetings"])
    assert "get" in paths["/api/meetings/options"]
    assert "get" in paths["/api/me/attendance"]
    assert paths["/api/meetings"]["post"]["security"] == [{"bearer": []}]
