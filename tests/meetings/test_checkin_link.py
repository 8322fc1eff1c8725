"""The projected check-in code as a link WeChat's own scanner opens, the page behind it for a browser,
and the meeting fields the phone needs to offer only what the server accepts."""

from __future__ import annotations

import base64
import io
import json
import re
from datetime import timedelta

import pytest
import qrcode
from PIL import Image

from server import create_app, mp_config
from server.auth.models import Role
from server.db import db
from server.errors import AppError
from server.meetings import codes, phase
from server.meetings.services import cancel_meeting
from tests.conftest import CHECKIN_LINK_PREFIX
from tests.meetings.conftest import bearer


@pytest.fixture
def member(tree, make_member):
    return make_member(tree["a1"], "张三")


@pytest.fixture
def secretary(browser, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"], display_name="王书记")
    return browser("shuji")


def projected(secretary, meeting) -> str:
    fragment = secretary.get(f"/admin/meetings/{meeting.id}/live/code").get_data(as_text=True)
    return re.search(r'data-code="([^"]+)"', fragment).group(1)


def test_the_projected_code_is_our_link_and_checks_in(secretary, make_meeting, member, client, token_for):
    meeting = make_meeting()
    link = projected(secretary, meeting)
    assert re.fullmatch(re.escape(CHECKIN_LINK_PREFIX) + rf"\?c=M{meeting.id}\.[\w.-]+", link)
    answer = client.post(f"/api/meetings/{meeting.id}/checkin", json={"code": link}, headers=bearer(token_for(member)))
    assert answer.status_code == 200 and answer.get_json()["message"] == "签到成功"


def test_a_bare_code_from_an_older_screen_still_checks_in(make_meeting, member, client, token_for):
    meeting = make_meeting()
    code = codes.meeting_code(meeting)
    answer = client.post(f"/api/meetings/{meeting.id}/checkin", json={"code": code}, headers=bearer(token_for(member)))
    assert answer.get_json()["message"] == "签到成功"


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example.com/m/checkin?c={code}",
        "https://dangwu.example.cn.evil.com/m/checkin?c={code}",
        "https://dangwu.example.cn/other?c={code}",
        "http://dangwu.example.cn/m/checkin?c={code}",
    ],
)
def test_a_link_of_another_host_or_path_is_not_ours(app, make_meeting, member, client, token_for, link):
    meeting = make_meeting()
    text = link.format(code=codes.meeting_code(meeting))
    answer = client.post(f"/api/meetings/{meeting.id}/checkin", json={"code": text}, headers=bearer(token_for(member)))
    assert answer.status_code == 400
    assert answer.get_json()["error"] == {
        "code": "code_foreign",
        "message": "这不是本系统的签到二维码，请扫描会议现场大屏上的签到码",
    }


def test_parse_reads_the_link_and_the_bare_code_alike(app):
    with app.app_context():
        assert codes.parse(f"{CHECKIN_LINK_PREFIX.upper().replace('/M/CHECKIN', '/m/checkin')}?c=M7.abc") == (
            codes.ParsedCode("M", 7, "abc")
        )
        assert codes.parse("M7.abc") == codes.ParsedCode("M", 7, "abc")
        with pytest.raises(AppError, match="无法识别"):
            codes.parse(f"{CHECKIN_LINK_PREFIX}?x=M7.abc")


def test_the_link_opened_in_a_browser_says_to_scan_with_wechat(client):
    response = client.get("/m/checkin?c=M7.<script>alert(1)</script>")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    assert "微信" in page and "扫一扫" in page
    assert "M7" not in page and "alert" not in page  # the query is never echoed
    assert "<script" not in page and " on" not in re.sub(r"<(title|p|li|h2)>[^<]*", "", page)


def detail(client, meeting, token) -> dict:
    response = client.get(f"/api/meetings/{meeting.id}", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_meeting_says_where_it_stands(app, make_meeting, member, client, token_for):
    token = token_for(member)

    def stands(meeting) -> tuple[str, bool]:
        body = detail(client, meeting, token)
        return body["phase"], body["leave_open"]

    assert stands(make_meeting(starts_in=timedelta(days=2))) == ("upcoming", True)
    now = make_meeting()
    body = detail(client, now, token)
    assert (body["phase"], body["leave_open"], body["checkin_code_ttl"]) == ("open", True, 15)
    assert (body["latitude"], body["longitude"]) == (None, None)
    assert stands(make_meeting(starts_in=timedelta(minutes=-30))) == ("open", False)
    assert stands(make_meeting(starts_in=timedelta(hours=-3))) == ("ended", False)
    called_off = make_meeting(starts_in=timedelta(days=1))
    cancel_meeting(called_off)
    db.session.commit()
    assert stands(called_off) == ("cancelled", False)


def test_a_fenced_meeting_gives_its_venue_for_directions(make_meeting, member, client, token_for):
    fenced = make_meeting(geofence=(39.909, 116.3978, 200))
    body = detail(client, fenced, token_for(member))
    assert (body["needs_location"], body["latitude"], body["longitude"]) == (True, 39.909, 116.3978)


def test_check_in_closed_before_the_end_is_its_own_phase(make_meeting):
    meeting = make_meeting()
    during = meeting.checkin_closes_at + timedelta(minutes=1)
    meeting.ends_at = during + timedelta(hours=1)
    assert phase.phase_of(meeting, during) == "closed"
    assert phase.phase_of(meeting, meeting.ends_at) == "ended"
    assert phase.phase_of(meeting, meeting.checkin_opens_at - timedelta(seconds=1)) == "upcoming"
    db.session.rollback()


def test_my_code_names_me(member, client, token_for):
    body = client.get("/api/me/checkin-code", headers=bearer(token_for(member))).get_json()
    assert body["member_name"] == "张三" and body["code"].startswith(f"U{member.id}.")


def test_a_missing_meeting_is_the_same_404_as_another_branchs(make_meeting, tree, member, client, token_for):
    theirs = make_meeting(tree["b1"])
    token = token_for(member)
    missing = client.get("/api/meetings/987654321", headers=bearer(token))
    other = client.get(f"/api/meetings/{theirs.id}", headers=bearer(token))
    assert missing.status_code == other.status_code == 404
    assert missing.get_json() == other.get_json() and other.get_json()["error"]["message"] == "会议不存在"


@pytest.mark.parametrize(
    ("prefix", "complaint"),
    [
        (None, "checkin_link_prefix"),
        ("http://dangwu.example.cn/m/checkin", "https"),
        ("https://dangwu.example.cn/m/checkin?x=1", "query"),
        ("https://dangwu.example.cn", "path"),
        ("not a url", "checkin_link_prefix"),
    ],
)
def test_the_link_prefix_is_checked_when_the_server_starts(tmp_path, prefix, complaint):
    config = json.loads(mp_config.DEFAULT_PATH.read_text())
    config.pop("checkin_link_prefix")
    if prefix is not None:
        config["checkin_link_prefix"] = prefix
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps(config))
    with pytest.raises(mp_config.MpConfigError, match=complaint):
        create_app({"MP_CONFIG": str(path)})


def test_the_demo_may_use_plain_http_on_its_own_machine():
    assert mp_config.load()["checkin_link_prefix"] == "http://127.0.0.1:5000/m/checkin"


def _modules(text: str) -> int:
    qr = qrcode.QRCode(border=2)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.modules_count


def test_the_projected_link_stays_an_easy_qr_to_scan(app, make_meeting):
    """Measured: the bare code of meeting 7 is 29×29 modules (version 3), its link 37×37 (version 5); even
    a six-digit meeting id under a longer host stays within 41×41 (version 6) — a projector shows it at
    well over 5 pixels a module, and phones read it from the back of the room."""
    meeting = make_meeting()
    with app.test_request_context():
        code = codes.meeting_code(meeting)
        link = codes.checkin_link(code)
        big = codes.checkin_link(f"M123456.{code.partition('.')[2]}")
    assert _modules(code) <= 33 and _modules(link) <= 37 and _modules(big) <= 41
    image = Image.open(io.BytesIO(base64.b64decode(codes.qr_png_base64(link))))
    assert image.size[0] <= 400  # box_size 8: sharp when the screen scales it up
