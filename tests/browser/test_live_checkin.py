"""The projector screen: a member scans the live code and appears within two seconds; a forwarded
(expired) code is refused."""

from __future__ import annotations

import time
from datetime import timedelta

import requests
from playwright.sync_api import Page, expect

from server.auth.member_services import _start_session
from server.db import db, utcnow
from server.meetings.models import MeetingKind
from server.meetings.services import create_meeting
from server.members.models import Member
from server.orgs.models import Organisation
from tests.browser.conftest import login, screenshot


def test_a_scan_appears_on_the_live_screen_within_two_seconds(page: Page, demo, live_server, app):
    branch = db.session.query(Organisation).filter_by(name="综合办公室党支部").one()
    member = db.session.query(Member).filter_by(org_id=branch.id).order_by(Member.id).first()
    token = _start_session(member, "openid-live-test").token
    start = utcnow() + timedelta(minutes=5)
    meeting = create_meeting(
        kind=MeetingKind.BRANCH_ASSEMBLY,
        title="第四季度支部党员大会",
        organiser=branch,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="项目部二楼会议室",
    )
    db.session.commit()

    login(page, "shuji1")
    page.goto(f"/admin/meetings/{meeting.id}/live")
    qr = page.locator("#live-qr")
    expect(qr).to_be_visible()
    expect(page.locator("#arrived-count")).to_have_text("0")
    code = qr.get_attribute("data-code")

    scanned_at = time.monotonic()
    answer = requests.post(
        f"{live_server}/api/meetings/{meeting.id}/checkin",
        json={"code": code},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    assert answer["message"] == "签到成功", answer
    expect(page.locator("#arrived-list")).to_contain_text(member.name, timeout=2_000)
    assert time.monotonic() - scanned_at < 2.0
    expect(page.locator("#arrived-count")).to_have_text("1")
    screenshot(page, "live-checkin")

    # The same code, forwarded to someone at home and scanned after it expired, is refused.
    other = db.session.query(Member).filter_by(org_id=branch.id).order_by(Member.id.desc()).first()
    other_token = _start_session(other, "openid-forwarded").token
    db.session.commit()
    app.config["MEETING_CODE_TTL"] = 0
    try:
        time.sleep(1.1)
        late = requests.post(
            f"{live_server}/api/meetings/{meeting.id}/checkin",
            json={"code": code},
            headers={"Authorization": f"Bearer {other_token}"},
            timeout=10,
        )
    finally:
        app.config["MEETING_CODE_TTL"] = 15
    assert late.json()["error"]["code"] == "code_expired"
    expect(page.locator("#arrived-count")).to_have_text("1")
