"""The minutes pages: draft, finalise, amend; the verification page reports a direct database edit."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from server.auth.models import Role
from server.db import db
from server.meetings.models import MinutesPhoto
from tests.hostile_files import UnreadableBody, multipart, png_declaring

MB = 1024 * 1024


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


# --- photos ---------------------------------------------------------------------------------------------


def save_with_photos(secretary, meeting, *photos: tuple[bytes, str]):
    form = {
        "csrf_token": secretary.token,
        "topic": "学习党章",
        "content": "集体学习",
        "decisions": "",
        "action": "save",
    }
    return secretary.client.post(f"/admin/meetings/{meeting.id}/minutes", **multipart(form | {"photos": list(photos)}))


def refusal(response) -> tuple[str, str]:
    match = re.search(r'data-code="([^"]*)">([^<]*)<', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    return match.group(1), match.group(2)


def photo_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(MinutesPhoto)) or 0


def test_a_photo_is_served_with_the_type_its_bytes_show(secretary, make_meeting):
    meeting = make_meeting(starts_in=timedelta(hours=-5))
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    assert save_with_photos(secretary, meeting, (buffer.getvalue(), "现场.jpg")).status_code == 302
    photo_id = db.session.scalar(sa.select(MinutesPhoto.id))
    served = secretary.get(f"/admin/meetings/{meeting.id}/minutes/photos/{photo_id}")
    assert served.mimetype == "image/png" and served.data == buffer.getvalue()


def test_a_decompression_bomb_photo_is_refused_and_nothing_is_saved(secretary, make_meeting):
    """99 bytes promising 30000 x 30000 pixels: 2.7 GB for whoever decodes it, a browser included."""
    meeting = make_meeting(starts_in=timedelta(hours=-5))
    response = save_with_photos(secretary, meeting, (png_declaring(30_000, 30_000), "现场.png"))
    assert response.status_code == 400
    code, message = refusal(response)
    assert code == "photo_too_many_pixels" and "像素" in message
    assert photo_count() == 0


def test_a_photo_over_5_mb_is_refused_with_the_limit(secretary, make_meeting):
    meeting = make_meeting(starts_in=timedelta(hours=-5))
    response = save_with_photos(secretary, meeting, (b"\xff\xd8\xff\xe0" + b"\x00" * (5 * MB), "大图.jpg"))
    assert response.status_code == 413
    assert refusal(response) == ("photo_too_large", "照片不能超过 5 MB")
    assert photo_count() == 0


def test_a_minutes_form_over_20_mb_is_refused_before_its_body_is_read(secretary, make_meeting):
    meeting = make_meeting(starts_in=timedelta(hours=-5))
    response = secretary.client.post(
        f"/admin/meetings/{meeting.id}/minutes",
        input_stream=UnreadableBody(21 * MB),
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 413
    code, message = refusal(response)
    assert code == "upload_too_large" and "20 MB" in message
