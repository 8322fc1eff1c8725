"""QR check-in: idempotent scans, and every refusal explained in Chinese and kept on record."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from server.auth.models import Role
from server.db import db
from server.meetings import codes
from server.meetings.models import Attendance, AttendanceStatus, CheckinAttempt
from server.timezone import to_local
from tests.meetings.conftest import bearer


@pytest.fixture
def member(tree, make_member):
    return make_member(tree["a1"], "张三")


@pytest.fixture
def meeting(make_meeting):
    return make_meeting()


def scan(client, meeting, token, code=None, **location):
    return client.post(
        f"/api/meetings/{meeting.id}/checkin",
        json={"code": code or codes.meeting_code(meeting), **location},
        headers=bearer(token),
    )


def attendance_count(meeting) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Attendance).where(Attendance.meeting_id == meeting.id)
    )


def test_scanning_the_live_code_checks_in_once(client, meeting, member, token_for):
    token = token_for(member)
    first = scan(client, meeting, token)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["message"] == "签到成功" and first.get_json()["already"] is False
    second = scan(client, meeting, token)
    assert second.get_json()["already"] is True
    checked_in_at = db.session.scalar(sa.select(Attendance.checked_in_at))
    told = f"已于 {to_local(checked_in_at):%H:%M} 签到"  # the time of the first scan, in Beijing time
    assert (second.get_json()["message"], second.get_json()["status"]) == (told, "present")
    assert attendance_count(meeting) == 1
    attempts = db.session.execute(sa.select(CheckinAttempt.meeting_id, CheckinAttempt.result, CheckinAttempt.detail))
    # the accepted scan is the attendance row itself; the repeat is kept against the meeting
    assert attempts.all() == [(meeting.id, "already_checked_in", told)]


def test_a_forwarded_code_has_expired(client, meeting, member, token_for, monkeypatch):
    real_time = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - 60)  # shown a minute ago
    old_code = codes.meeting_code(meeting)
    monkeypatch.undo()
    response = scan(client, meeting, token_for(member), old_code)
    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": "code_expired",
        "message": "签到码已过期，请扫描现场大屏上的最新二维码",
    }
    assert attendance_count(meeting) == 0
    assert db.session.scalar(sa.select(CheckinAttempt.result)) == "code_expired"


def test_another_meetings_code_is_refused(client, make_meeting, meeting, member, token_for):
    other = make_meeting(title="支部党员大会")
    response = scan(client, meeting, token_for(member), codes.meeting_code(other))
    assert response.get_json()["error"] == {
        "code": "wrong_meeting",
        "message": "这是另一场会议的签到码，请确认您要参加的会议",
    }
    assert attendance_count(meeting) == 0 and attendance_count(other) == 0


@pytest.mark.parametrize(
    ("tamper", "code", "message"),
    [
        (
            lambda c: c[:-3] + ("AAA" if not c.endswith("AAA") else "BBB"),
            "code_forged",
            "签到码无效（可能被篡改或伪造）",
        ),
        (lambda c: "hello", "code_invalid", "无法识别的签到码，请扫描会议现场的签到二维码"),
        (lambda c: "https://evil.example.com/m/checkin?c=" + c, "code_foreign", codes.FOREIGN_LINK),
    ],
)
def test_forged_or_garbled_codes_are_refused(client, meeting, member, token_for, tamper, code, message):
    response = scan(client, meeting, token_for(member), tamper(codes.meeting_code(meeting)))
    assert response.get_json()["error"] == {"code": code, "message": message}
    assert attendance_count(meeting) == 0


def test_a_code_signed_with_another_meetings_secret_is_forged(client, make_meeting, meeting, member, token_for):
    other = make_meeting()
    signed = codes.meeting_code(other).split(".", 1)[1]
    response = scan(client, meeting, token_for(member), f"M{meeting.id}.{signed}")
    assert response.get_json()["error"]["code"] == "code_forged"


def test_not_open_yet_and_already_closed(client, make_meeting, member, token_for):
    token = token_for(member)
    later = make_meeting(starts_in=timedelta(hours=3))
    response = scan(client, later, token)
    assert response.get_json()["error"]["code"] == "checkin_not_open"
    assert "签到尚未开始，将于" in response.get_json()["error"]["message"]
    over = make_meeting(starts_in=timedelta(hours=-5))
    response = scan(client, over, token)
    assert response.get_json()["error"]["code"] == "checkin_closed"
    assert "签到已于" in response.get_json()["error"]["message"]


def test_a_member_of_another_branch_is_not_a_participant(client, meeting, tree, make_member, token_for):
    outsider = make_member(tree["a2"], "李四")
    response = scan(client, meeting, token_for(outsider))
    assert response.status_code == 404  # another branch's meeting: the same answer as a missing one
    assert response.get_json()["error"] == {"code": "not_found", "message": "会议不存在"}


def test_a_group_meeting_admits_its_group_only(client, make_meeting, tree, make_member, token_for):
    group_meeting = make_meeting(participants=[tree["a1_group"]])
    in_group = make_member(tree["a1"], "组内", group_id=tree["a1_group"].id)
    not_in_group = make_member(tree["a1"], "组外")
    assert scan(client, group_meeting, token_for(in_group)).status_code == 200
    assert scan(client, group_meeting, token_for(not_in_group)).get_json()["error"]["code"] == "not_found"


def test_geofence_admits_only_members_inside_it(client, make_meeting, member, token_for):
    fenced = make_meeting(geofence=(39.9087, 116.3975, 200))  # 天安门
    token = token_for(member)
    assert scan(client, fenced, token).get_json()["error"]["code"] == "location_required"
    far = scan(client, fenced, token, latitude=39.9163, longitude=116.3972)  # 故宫北, ~850 m
    assert far.get_json()["error"] == {"code": "outside_geofence", "message": "您不在会场范围内，请到会场后再扫码签到"}
    near = scan(client, fenced, token, latitude=39.9090, longitude=116.3978, accuracy=30)
    assert near.status_code == 200


def test_late_after_the_grace_minutes(client, make_meeting, member, token_for):
    started = make_meeting(starts_in=timedelta(minutes=-20))
    body = scan(client, started, token_for(member)).get_json()
    assert body["status"] == "late" and body["message"] == "签到成功（迟到）"


def test_secretary_scans_a_members_personal_code(
    client, app, meeting, member, tree, make_member, make_admin, token_for
):
    secretary_member = make_member(tree["a1"], "王书记")
    make_admin("shuji", Role.SECRETARY, tree["a1"], member_id=secretary_member.id)
    code = client.get("/api/me/checkin-code", headers=bearer(token_for(member))).get_json()["code"]
    response = client.post(
        f"/api/meetings/{meeting.id}/scan-member", json={"code": code}, headers=bearer(token_for(secretary_member))
    )
    assert response.status_code == 200
    assert response.get_json()["member_name"] == "张三"
    row = db.session.scalar(sa.select(Attendance))
    assert row.method.value == "member_code" and row.recorded_by_id is not None


def test_an_ordinary_member_cannot_scan_others(client, meeting, member, tree, make_member, token_for):
    other = make_member(tree["a1"], "李四")
    code = client.get("/api/me/checkin-code", headers=bearer(token_for(member))).get_json()["code"]
    response = client.post(
        f"/api/meetings/{meeting.id}/scan-member", json={"code": code}, headers=bearer(token_for(other))
    )
    assert response.status_code == 403
    assert attendance_count(meeting) == 0


def test_a_meeting_code_is_not_a_personal_code(client, meeting, member, tree, make_member, make_admin, token_for):
    secretary_member = make_member(tree["a1"], "王书记")
    make_admin("shuji", Role.SECRETARY, tree["a1"], member_id=secretary_member.id)
    response = client.post(
        f"/api/meetings/{meeting.id}/scan-member",
        json={"code": codes.meeting_code(meeting)},
        headers=bearer(token_for(secretary_member)),
    )
    assert response.get_json()["error"]["code"] == "code_invalid"


def test_my_meetings_lists_only_mine(client, make_meeting, meeting, tree, member, token_for):
    make_meeting(tree["a2"], title="甲二的会")
    titles = [m["title"] for m in client.get("/api/meetings", headers=bearer(token_for(member))).get_json()]
    assert titles == ["十一月主题党日"]


def test_fifty_concurrent_scans_leave_one_attendance_row(live_server, meeting, member, token_for):
    token, code = token_for(member), codes.meeting_code(meeting)
    answers: list[dict] = []
    start = threading.Barrier(50)

    def tap() -> None:
        start.wait()
        response = requests.post(
            f"{live_server}/api/meetings/{meeting.id}/checkin", json={"code": code}, headers=bearer(token), timeout=30
        )
        answers.append(response.json())

    threads = [threading.Thread(target=tap) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 50 and all("error" not in answer for answer in answers), answers[:3]
    assert sum(not answer["already"] for answer in answers) == 1
    assert {answer["status"] for answer in answers} == {"present"}  # the losers of the race are told the winner's
    assert attendance_count(meeting) == 1
    assert db.session.scalar(sa.select(Attendance.status)) is AttendanceStatus.PRESENT


def test_meeting_detail_shows_my_attendance_and_secretary_mode(
    client, meeting, member, tree, make_member, make_admin, token_for
):
    token = token_for(member)
    detail = client.get(f"/api/meetings/{meeting.id}", headers=bearer(token)).get_json()
    assert detail["my_attendance"] is None and detail["can_scan_members"] is False
    scan(client, meeting, token)
    detail = client.get(f"/api/meetings/{meeting.id}", headers=bearer(token)).get_json()
    assert detail["my_attendance"]["status"] == "present"
    secretary_member = make_member(tree["a1"], "王书记")
    make_admin("shuji", Role.SECRETARY, tree["a1"], member_id=secretary_member.id)
    as_secretary = client.get(f"/api/meetings/{meeting.id}", headers=bearer(token_for(secretary_member))).get_json()
    assert as_secretary["can_scan_members"] is True
    outsider = make_member(tree["b1"], "外人")
    assert client.get(f"/api/meetings/{meeting.id}", headers=bearer(token_for(outsider))).status_code == 404


def test_personal_code_comes_with_its_qr_image(client, member, token_for):
    import base64

    body = client.get("/api/me/checkin-code", headers=bearer(token_for(member))).get_json()
    assert body["code"].startswith(f"U{member.id}.") and body["expires_in"] == 60
    assert base64.b64decode(body["qr_png_base64"]).startswith(b"\x89PNG")
    assert qr_modules(body["qr_png_base64"]) == expected_modules(body["code"])


def qr_modules(png_base64: str, box_px: int = 8, border: int = 2) -> list[list[bool]]:
    """Read a QR image back into its modules (True = dark), sampling the centre of each box."""
    import base64
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(png_base64))).convert("L")
    assert image.width == image.height and image.width % box_px == 0
    size = image.width // box_px - 2 * border
    quiet = [image.getpixel((x, y)) for x in range(image.width) for y in range(border * box_px)]
    assert min(quiet) > 127, "the quiet zone around the code is white"

    def centre(i: int) -> int:
        return (border + i) * box_px + box_px // 2

    return [[image.getpixel((centre(col), centre(row))) < 128 for col in range(size)] for row in range(size)]


def expected_modules(text: str) -> list[list[bool]]:
    import qrcode

    qr = qrcode.QRCode(border=0)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.get_matrix()


def test_the_qr_image_is_the_code_it_was_asked_for():
    code = "U7.eyJhIjoxfQ.aGVsbG8.c2lnbmF0dXJl"
    assert qr_modules(codes.qr_png_base64(code)) == expected_modules(code)


def test_home_shows_the_next_meeting(client, make_meeting, member, token_for):
    make_meeting(starts_in=timedelta(days=3), title="下周的会")
    soon = make_meeting(starts_in=timedelta(hours=2), title="今天的会")
    home = client.get("/api/home", headers=bearer(token_for(member))).get_json()
    assert home["next_meeting"]["id"] == soon.id and home["next_meeting"]["title"] == "今天的会"
