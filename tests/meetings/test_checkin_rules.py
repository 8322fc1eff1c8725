"""The rules of codes and check-in pinned at their edges, so that a rule quietly going wrong fails a test:
whose code it is, how long codes live, when check-in opens and closes, and when a member is late."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.db import db
from server.meetings import checkin, codes
from server.meetings.models import Attendance, AttendanceStatus, CheckinAttempt, CheckinMethod
from tests.meetings.conftest import bearer


@pytest.fixture
def member(tree, make_member):
    return make_member(tree["a1"], "张三")


@pytest.fixture
def friend(tree, make_member):
    return make_member(tree["a1"], "李四")


@pytest.fixture
def meeting(make_meeting):
    return make_meeting()


def signed_seconds_ago(seconds: float, sign, monkeypatch):
    """What ``sign()`` returned ``seconds`` ago (itsdangerous stamps codes with the time of signing)."""
    real_time = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - seconds)
    try:
        return sign()
    finally:
        monkeypatch.undo()


def own_scan(client, meeting, member, token_for, code=None):
    return client.post(
        f"/api/meetings/{meeting.id}/checkin",
        json={"code": code or codes.meeting_code(meeting)},
        headers=bearer(token_for(member)),
    )


def secretary_scan(client, meeting, code, secretary, token_for):
    return client.post(
        f"/api/meetings/{meeting.id}/scan-member", json={"code": code}, headers=bearer(token_for(secretary))
    )


def attendees(meeting) -> list[int]:
    return list(db.session.scalars(sa.select(Attendance.member_id).where(Attendance.meeting_id == meeting.id)))


def move(meeting, **shift: timedelta) -> None:
    """Shift the meeting's times (``starts_at=-timedelta(minutes=7)``…)."""
    for name, delta in shift.items():
        setattr(meeting, name, getattr(meeting, name) + delta)
    db.session.commit()


# --- a personal code names its member ---------------------------------------------------------------


def test_a_member_cannot_relabel_their_own_code_as_a_friends(client, meeting, member, friend, shuji, token_for):
    mine = client.get("/api/me/checkin-code", headers=bearer(token_for(member))).get_json()["code"]
    relabelled = f"U{friend.id}." + mine.split(".", 1)[1]

    response = secretary_scan(client, meeting, relabelled, shuji, token_for)

    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "code_forged", "message": "签到码无效（可能被篡改或伪造）"}
    assert attendees(meeting) == []


def test_a_personal_code_signed_for_another_purpose_is_forged(client, app, meeting, member, shuji, token_for):
    # the app's key signs other things too: a signature under another salt is not a personal code
    from itsdangerous import URLSafeTimedSerializer

    other = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="something-else").dumps(member.id)

    response = secretary_scan(client, meeting, f"U{member.id}.{other}", shuji, token_for)

    assert response.get_json()["error"]["code"] == "code_forged"


# Known answers: codes signed on 2025-12-01 with a fixed key. An upgrade that changed what a code is
# signed for (the salt) or how would void every code on the screens and phones at that moment; a code
# signed for another purpose with the same key must never pass.
SIGNED_AT = 1764547200


@pytest.fixture
def at_signing_time(app, monkeypatch):
    monkeypatch.setitem(app.config, "SECRET_KEY", "known-answer-key")
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: SIGNED_AT + 5)


def test_a_personal_code_signed_by_this_release_still_verifies(at_signing_time):
    assert codes.verify_member_code(codes.parse("U7.Nw.aSzagA.vd7GeqV3xUlngnKzHaI0WNeXgUQ")) == 7
    with pytest.raises(Exception) as refused:
        codes.verify_member_code(codes.parse("U7.Nw.aSzagA.5vI8fy97HzPdENai0an5LRvnFYo"))  # another salt
    assert refused.value.code == "code_forged"


def test_a_meeting_code_signed_by_this_release_still_verifies(at_signing_time):
    from types import SimpleNamespace

    meeting = SimpleNamespace(id=12, code_secret="known-answer-secret")
    codes.verify_meeting_code(codes.parse("M12.MTI.aSzagA.RkKTwBvNd73O3Z1zKKYnSmzehn0"), meeting)
    with pytest.raises(Exception) as refused:
        codes.verify_meeting_code(codes.parse("M12.MTI.aSzagA.Jz7AQkqxtCXULjzCgF0UEKxHPWE"), meeting)  # another salt
    assert refused.value.code == "code_forged"


@pytest.mark.parametrize(("age", "accepted"), [(50, True), (70, False)])
def test_a_personal_code_lives_one_minute(client, meeting, member, shuji, token_for, monkeypatch, age, accepted):
    code = signed_seconds_ago(age, lambda: codes.member_code(member.id), monkeypatch)

    response = secretary_scan(client, meeting, code, shuji, token_for)

    if accepted:
        assert response.status_code == 200, response.get_json()
    else:
        assert response.get_json()["error"] == {
            "code": "code_expired",
            "message": "党员的签到码已过期，请让其刷新后再扫",
        }
        assert attendees(meeting) == []


# --- the meeting's code lives MEETING_CODE_TTL seconds -----------------------------------------------


@pytest.mark.parametrize(("ttl", "age", "accepted"), [(15, 10, True), (15, 20, False), (30, 20, True)])
def test_the_meeting_code_lives_as_long_as_configured(
    client, app, meeting, member, token_for, monkeypatch, ttl, age, accepted
):
    monkeypatch.setitem(app.config, "MEETING_CODE_TTL", ttl)
    code = signed_seconds_ago(age, lambda: codes.meeting_code(meeting), monkeypatch)
    monkeypatch.setitem(app.config, "MEETING_CODE_TTL", ttl)  # undo() above restored the default

    response = own_scan(client, meeting, member, token_for, code)

    assert (response.status_code == 200) is accepted, response.get_json()
    if not accepted:
        assert response.get_json()["error"]["code"] == "code_expired"


def test_a_meeting_code_is_not_accepted_as_a_personal_code_and_back(client, meeting, member, shuji, token_for):
    personal = client.get("/api/me/checkin-code", headers=bearer(token_for(member))).get_json()["code"]
    as_meeting_code = "M" + personal[1:].replace(f"{member.id}.", f"{meeting.id}.", 1)

    assert own_scan(client, meeting, member, token_for, personal).get_json()["error"] == {
        "code": "code_invalid",
        "message": "这是党员的个人签到码，请扫描会议现场的签到二维码",
    }
    assert own_scan(client, meeting, member, token_for, as_meeting_code).get_json()["error"]["code"] == "code_forged"
    assert secretary_scan(client, meeting, codes.meeting_code(meeting), shuji, token_for).get_json()["error"] == {
        "code": "code_invalid",
        "message": "这是会议签到码，请扫描党员手机上的个人签到码",
    }
    assert attendees(meeting) == []


@pytest.mark.parametrize("code", ["M", "M.", "Mx.abc", "X1.abc", "M1", "1.abc", "", "   "])
def test_garbled_codes_are_not_ours(code):
    with pytest.raises(Exception) as refused:
        codes.parse(code)
    assert getattr(refused.value, "code", None) == "code_invalid"


def test_a_code_is_read_with_spaces_around_it(client, meeting, member, token_for):
    response = own_scan(client, meeting, member, token_for, f"  {codes.meeting_code(meeting)}\n")

    assert response.status_code == 200, response.get_json()


# --- the check-in window -----------------------------------------------------------------------------


def test_the_secretarys_scan_after_check_in_closed_is_refused(client, meeting, member, shuji, token_for):
    three_hours = -timedelta(hours=3)
    move(
        meeting, starts_at=three_hours, ends_at=three_hours, checkin_opens_at=three_hours, checkin_closes_at=three_hours
    )
    code = client.get("/api/me/checkin-code", headers=bearer(token_for(member))).get_json()["code"]

    response = secretary_scan(client, meeting, code, shuji, token_for)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "checkin_closed"
    assert attendees(meeting) == []


def test_after_closing_only_a_hand_entry_with_a_reason_is_accepted(meeting, member):
    closes = meeting.checkin_closes_at
    after = closes + timedelta(seconds=1)
    scan = checkin.load_scan(meeting.id, member)

    for method in (CheckinMethod.MEETING_CODE, CheckinMethod.MEMBER_CODE):
        with pytest.raises(Exception, match="签到已于"):
            checkin.check_in(scan, method, now=after)
    result = checkin.check_in(scan, CheckinMethod.MANUAL, note="补签", now=after)
    assert result.status is AttendanceStatus.LATE and not result.already


@pytest.mark.parametrize(
    ("offset", "refused"),
    [
        (lambda m: m.checkin_opens_at - timedelta(seconds=1), "checkin_not_open"),
        (lambda m: m.checkin_opens_at, None),
        (lambda m: m.checkin_closes_at, None),
        (lambda m: m.checkin_closes_at + timedelta(seconds=1), "checkin_closed"),
    ],
)
def test_the_window_includes_both_its_edges(meeting, member, offset, refused):
    scan = checkin.load_scan(meeting.id, member)
    if refused is None:
        assert not checkin.check_in(scan, CheckinMethod.MEETING_CODE, now=offset(meeting)).already
    else:
        with pytest.raises(Exception) as error:
            checkin.check_in(scan, CheckinMethod.MEETING_CODE, now=offset(meeting))
        assert error.value.code == refused


def test_nothing_is_recorded_at_a_cancelled_meeting_even_by_hand(meeting, member):
    meeting.cancelled_at = meeting.starts_at - timedelta(days=1)
    db.session.commit()
    for method in CheckinMethod:
        with pytest.raises(Exception) as error:
            checkin.check_in(checkin.load_scan(meeting.id, member), method, note="补签")
        assert error.value.code == "meeting_cancelled"
    assert attendees(meeting) == []


# --- present or late ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after_start", "status"),
    [
        (timedelta(minutes=2), AttendanceStatus.PRESENT),
        (timedelta(minutes=5), AttendanceStatus.PRESENT),
        (timedelta(minutes=5, seconds=1), AttendanceStatus.LATE),
        (timedelta(minutes=6), AttendanceStatus.LATE),
    ],
)
def test_late_means_more_than_five_minutes_after_the_start(meeting, member, after_start, status):
    result = checkin.check_in(
        checkin.load_scan(meeting.id, member), CheckinMethod.MEETING_CODE, now=meeting.starts_at + after_start
    )

    assert result.status is status


def test_the_late_minutes_are_configurable(app, meeting, member, monkeypatch):
    monkeypatch.setitem(app.config, "MEETING_LATE_MINUTES", 10)
    result = checkin.check_in(
        checkin.load_scan(meeting.id, member),
        CheckinMethod.MEETING_CODE,
        now=meeting.starts_at + timedelta(minutes=8),
    )

    assert result.status is AttendanceStatus.PRESENT


# --- records ---------------------------------------------------------------------------------------


def test_a_member_on_leave_who_comes_after_all_is_checked_in(client, meeting, member, token_for):
    from server.meetings import leave

    leave.decide_leave(leave.request_leave(meeting, member, "出差"), approve=True, decided_by_id=None)
    db.session.commit()

    response = own_scan(client, meeting, member, token_for)

    assert response.status_code == 200 and response.get_json()["already"] is False
    assert db.session.scalar(sa.select(Attendance.status)) is AttendanceStatus.PRESENT
    body = response.get_json()
    assert (body["status"], body["message"]) == ("present", "签到成功")
    assert body["checked_in_at"] is not None  # the phone shows the time it was recorded


def test_a_member_on_leave_who_comes_late_is_told_so(meeting, member):
    from server.meetings import leave

    leave.decide_leave(leave.request_leave(meeting, member, "出差"), approve=True, decided_by_id=None)
    db.session.commit()
    late = meeting.starts_at + timedelta(minutes=20)

    result = checkin.check_in(checkin.load_scan(meeting.id, member), CheckinMethod.MEETING_CODE, now=late)

    assert (result.status, result.checked_in_at, result.message) == (AttendanceStatus.LATE, late, "签到成功（迟到）")


def test_finalised_minutes_close_the_record_even_to_the_secretary(meeting, member):
    from server.meetings.models import Minutes

    db.session.add(Minutes(meeting_id=meeting.id, org_id=meeting.organiser_org_id, finalised_at=meeting.starts_at))
    db.session.commit()
    for method in CheckinMethod:
        with pytest.raises(Exception) as error:
            checkin.check_in(checkin.load_scan(meeting.id, member), method, note="补签")
        assert error.value.code == "minutes_finalised"


def test_only_refusals_are_listed_for_the_secretary(client, meeting, member, token_for):
    own_scan(client, meeting, member, token_for)
    own_scan(client, meeting, member, token_for)  # already checked in: kept, but not a refusal
    own_scan(client, meeting, member, token_for, codes.meeting_code(meeting)[:-2] + "zz")

    total, rows = checkin.refused_scans(meeting.id)

    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckinAttempt)) == 2
    assert total == 1 and [row.reason for row in rows] == ["签到码无效（可能被篡改或伪造）"]
    assert [(row.member_name, row.method) for row in rows] == [("张三", CheckinMethod.MEETING_CODE)]


def test_another_meetings_refusals_are_not_listed(client, make_meeting, meeting, member, token_for):
    other = make_meeting(title="另一场会议")
    own_scan(client, other, member, token_for, codes.meeting_code(other)[:-2] + "zz")

    assert checkin.refused_scans(meeting.id) == (0, [])
    assert checkin.refused_scans(other.id)[0] == 1


def test_refusals_at_the_same_instant_are_listed_latest_first(meeting, member):
    at = meeting.starts_at
    for detail in ("第一次", "第二次", "第三次"):
        db.session.add(
            CheckinAttempt(
                meeting_id=meeting.id,
                member_id=member.id,
                method=CheckinMethod.MEETING_CODE,
                result="code_forged",
                detail=detail,
                created_at=at,
            )
        )
        db.session.flush()
    db.session.commit()

    assert [row.reason for row in checkin.refused_scans(meeting.id)[1]] == ["第三次", "第二次", "第一次"]


def test_the_secretary_sees_the_latest_hundred_refusals_and_how_many_there_were(meeting, member):
    start = meeting.starts_at
    for n in range(103):
        db.session.add(
            CheckinAttempt(
                meeting_id=meeting.id,
                member_id=member.id,
                method=CheckinMethod.MEETING_CODE,
                result="code_forged",
                detail=f"第{n}次",
                created_at=start + timedelta(seconds=n),
            )
        )
    db.session.commit()

    total, rows = checkin.refused_scans(meeting.id)

    assert total == 103 and len(rows) == 100
    assert (rows[0].reason, rows[-1].reason) == ("第102次", "第3次")


def test_a_scan_that_lost_the_race_answers_with_the_winners_arrival(meeting, member):
    """Two scans read "not here yet"; the second to write is told the first one's time, not its own."""
    stale = checkin.load_scan(meeting.id, member)
    first = checkin.check_in(checkin.load_scan(meeting.id, member), CheckinMethod.MEETING_CODE)
    db.session.commit()

    second = checkin.check_in(stale, CheckinMethod.MEETING_CODE, now=first.checked_in_at + timedelta(seconds=40))

    assert (second.already, second.status, second.checked_in_at) == (True, first.status, first.checked_in_at)
    assert len(attendees(meeting)) == 1


def test_a_refusal_longer_than_the_record_holds_is_cut_to_fit(meeting, member):
    from server.errors import AppError

    checkin._log(meeting.id, member.id, CheckinMethod.MANUAL, AppError("some_refusal", "长" * 300))

    assert db.session.scalar(sa.select(CheckinAttempt.detail)) == "长" * 200


def test_a_missing_meeting_is_a_404(client, member, token_for):
    response = client.post(
        "/api/meetings/999999/checkin", json={"code": "M999999.x"}, headers=bearer(token_for(member))
    )

    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckinAttempt)) == 0


def test_the_secretary_cannot_scan_in_a_member_who_does_not_take_part(
    client, meeting, tree, make_member, shuji, token_for
):
    outsider = make_member(tree["a2"], "甲二的党员")
    code = client.get("/api/me/checkin-code", headers=bearer(token_for(outsider))).get_json()["code"]

    response = secretary_scan(client, meeting, code, shuji, token_for)

    assert response.get_json()["error"]["code"] == "not_participant"
    assert attendees(meeting) == []
    # the secretary's own scan at their own meeting: kept, so they can see what happened at the door
    assert checkin.refused_scans(meeting.id)[0] == 1


def test_a_hand_entry_needs_a_reason_that_is_not_blank(meeting, member):
    with pytest.raises(Exception) as refused:
        checkin.mark_present(meeting, member, "   ", recorded_by_id=None)

    assert refused.value.code == "reason_required"
    assert refused.value.message == "手工签到须填写原因（如：年长党员无智能手机）"
    assert attendees(meeting) == []


def test_a_members_own_scan_is_not_in_the_audit_trail_but_the_secretarys_is(
    client, meeting, member, friend, shuji, token_for
):
    from server.audit.models import AuditLog

    own_scan(client, meeting, member, token_for)
    code = client.get("/api/me/checkin-code", headers=bearer(token_for(friend))).get_json()["code"]
    secretary_scan(client, meeting, code, shuji, token_for)

    rows = db.session.scalars(sa.select(AuditLog).where(AuditLog.entity_type == "attendance")).all()
    assert [(row.action, row.org_id) for row in rows] == [("attendance.create", meeting.organiser_org_id)]
    assert rows[0].after["member_id"] == friend.id


@pytest.mark.parametrize(("metres_north", "accepted"), [(190, True), (215, False), (390, False)])
def test_the_fence_is_its_radius_wide(client, make_meeting, member, token_for, metres_north, accepted):
    fenced = make_meeting(geofence=(39.9087, 116.3975, 200))
    where = {"latitude": 39.9087 + metres_north / 111_195, "longitude": 116.3975, "accuracy": 20}

    response = client.post(
        f"/api/meetings/{fenced.id}/checkin",
        json={"code": codes.meeting_code(fenced), **where},
        headers=bearer(token_for(member)),
    )

    assert (response.status_code == 200) is accepted, response.get_json()
