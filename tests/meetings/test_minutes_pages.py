"""The minutes pages: draft, finalise, amend; the verification page reports a direct database edit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.auth.models import Role
from server.db import db


@pytest.fixture
def secretary(browser, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    return browser("shuji")


def test_draft_finalise_amend_and_detect_tampering(secretary, make_meeting):
    meeting = make_meeting(starts_in=timedelta(hours=-5))
    path = f"/admin/meetings/{meeting.id}/minutes"
    assert secretary.get(path).status_code == 200
    secretary.post(
        path, {"topic": "学习党章", "content": "集体学习党章第一章。", "decisions": "每月一次", "action": "save"}
    )
    assert "学习党章" in secretary.get(path).get_data(as_text=True)
    secretary.post(
        path, {"topic": "学习党章", "content": "集体学习党章第一章。", "decisions": "每月一次", "action": "finalise"}
    )
    page = secretary.get(path).get_data(as_text=True)
    assert "已定稿" in page and "追加更正说明" in page
    refused = secretary.post(path, {"topic": "改写", "content": "改写", "decisions": "", "action": "save"})
    assert refused.status_code == 400 and "定稿" in refused.get_data(as_text=True)
    secretary.post(f"{path}/amend", {"reason": "漏记一项决议", "content": "补充：下月开展志愿服务。"})
    assert "漏记一项决议" in secretary.get(path).get_data(as_text=True)
    assert "完好" in secretary.get("/admin/meetings/verify").get_data(as_text=True)

    db.session.execute(sa.text("UPDATE minutes SET content = '事后改写的内容'"))
    db.session.commit()
    report = secretary.get("/admin/meetings/verify").get_data(as_text=True)
    assert "发现会议记录被改动的痕迹" in report and "处问题" in report
    assert "完好" not in report


def test_minutes_of_a_meeting_in_the_future_cannot_be_written(secretary, make_meeting):
    meeting = make_meeting(starts_in=timedelta(days=2))
    response = secretary.post(
        f"/admin/meetings/{meeting.id}/minutes",
        {"topic": "提前写好", "content": "x", "decisions": "", "action": "save"},
    )
    assert response.status_code == 400


def test_another_branch_cannot_read_or_write_the_minutes(browser, make_admin, make_meeting, tree):
    make_admin("other", Role.SECRETARY, tree["b1"])
    meeting = make_meeting(starts_in=timedelta(hours=-5))
    other = browser("other")
    assert other.get(f"/admin/meetings/{meeting.id}/minutes").status_code == 404
    assert other.post(f"/admin/meetings/{meeting.id}/minutes", {"topic": "x", "action": "save"}).status_code == 404
