"""The member's side on the mini-program API: the inbox lists notices with unread counts by kind, opening a
notice reads it, 确认收到 once (late after the deadline), and the attachment only for recipients."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image

from server.db import db, utcnow
from server.notices import receipts
from server.notices.models import AttachmentKind
from tests.hostile_files import UnreadableBody
from tests.notices.conftest import send


def _get(app, reader, path):
    return app.test_client().get(path, headers={"Authorization": f"Bearer {reader.token}"})


def _post(app, reader, path):
    return app.test_client().post(path, json={}, headers={"Authorization": f"Bearer {reader.token}"})


def test_the_inbox_lists_the_notice_and_opening_it_reads_it(app, tree, staff, make_reader):
    reader = make_reader(tree["a1"])
    notice = send(staff.secretary, tree["a1"], ack_required=True, ack_deadline=utcnow() + timedelta(days=1))

    listed = _get(app, reader, "/api/inbox").get_json()
    assert listed["unread"] == 1
    item = listed["items"][0]
    assert (item["kind"], item["ref_id"], item["title"], item["subtitle"]) == (
        "notice",
        notice.id,
        "明天下午三点召开支部党员大会",
        "甲一支部 · 需回执",
    )
    assert _get(app, reader, "/api/inbox/unread").get_json()["by_kind"]["notice"] == 1

    detail = _get(app, reader, f"/api/notices/{notice.id}").get_json()
    assert detail["ack_required"] is True and detail["acked_at"] is None and detail["attachment"] is None
    assert detail["org_name"] == "甲一支部" and detail["body"] == "请准时参加。"
    assert _get(app, reader, "/api/inbox/unread").get_json()["by_kind"]["notice"] == 0
    assert receipts.counts(notice).read == 1


def test_acknowledging_is_idempotent_and_late_after_the_deadline(app, tree, staff, make_reader):
    on_time, late = make_reader(tree["a1"]), make_reader(tree["a1"])
    notice = send(staff.secretary, tree["a1"], ack_required=True, ack_deadline=utcnow() + timedelta(hours=1))
    first = _post(app, on_time, f"/api/notices/{notice.id}/ack").get_json()
    again = _post(app, on_time, f"/api/notices/{notice.id}/ack").get_json()
    assert first == again and first["late"] is False

    notice.ack_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    answer = _post(app, late, f"/api/notices/{notice.id}/ack")
    assert answer.status_code == 200 and answer.get_json()["late"] is True
    detail = _get(app, late, f"/api/notices/{notice.id}").get_json()
    assert detail["ack_late"] is True and detail["acked_at"]
    figures = receipts.counts(notice)
    assert (figures.acked, figures.late, figures.read) == (2, 1, 2)


def test_a_notice_without_receipt_cannot_be_acknowledged(app, tree, staff, make_reader):
    reader = make_reader(tree["a1"])
    notice = send(staff.secretary, tree["a1"])
    answer = _post(app, reader, f"/api/notices/{notice.id}/ack")
    assert answer.status_code == 409 and answer.get_json()["error"]["message"] == "这条通知不需要回执"


def test_a_notice_is_missing_for_anyone_it_was_not_sent_to(app, tree, staff, make_reader):
    reader, stranger = make_reader(tree["a1"]), make_reader(tree["a2"])
    notice = send(staff.secretary, tree["a1"])
    for path in (f"/api/notices/{notice.id}", f"/api/notices/{notice.id}/attachment"):
        theirs, missing = _get(app, stranger, path), _get(app, stranger, "/api/notices/987654")
        assert theirs.status_code == missing.status_code == 404
        assert theirs.get_json() == missing.get_json()
    assert _post(app, stranger, f"/api/notices/{notice.id}/ack").status_code == 404
    assert _get(app, reader, f"/api/notices/{notice.id}/attachment").status_code == 404  # it has none


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_attachment_is_served_to_recipients(app, tree, staff, make_reader, browser):
    reader, stranger = make_reader(tree["a1"]), make_reader(tree["a2"])
    secretary = browser("shuji")
    form = {"org_id": str(tree["a1"].id), "org_ids": [str(tree["a1"].id)], "title": "会议材料", "when": "now"}
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    answer = secretary.post(
        "/admin/notices/new", form | {"attachment": (io.BytesIO(pdf), "材料.pdf")}, content_type="multipart/form-data"
    )
    assert answer.status_code == 302
    from server.notices.models import Notice

    notice = db.session.query(Notice).one()
    assert (notice.attachment_kind, notice.attachment_name) == (AttachmentKind.PDF, "材料.pdf")
    from server.tasks import run_pending_jobs

    run_pending_jobs()
    detail = _get(app, reader, f"/api/notices/{notice.id}").get_json()
    assert detail["attachment"]["kind"] == "pdf" and detail["attachment"]["name"] == "材料.pdf"
    got = _get(app, reader, f"/api/notices/{notice.id}/attachment")
    assert got.status_code == 200 and got.data == pdf and got.mimetype == "application/pdf"
    got.close()  # a file response holds the file open until closed
    assert _get(app, stranger, f"/api/notices/{notice.id}/attachment").status_code == 404


def test_only_a_pdf_or_an_image_is_taken(app, tree, staff, make_member, browser):
    make_member(tree["a1"])
    secretary = browser("shuji")
    form = {"org_id": str(tree["a1"].id), "org_ids": [str(tree["a1"].id)], "title": "会议材料", "when": "now"}
    cases = [
        ((b"MZ\x90\x00 not a document", "材料.pdf"), "附件只能是 PDF 文件或 JPG、PNG 图片"),
        ((b"%PDF-1.4 truncated", "材料.pdf"), "PDF 文件不完整或已损坏"),
    ]
    for (content, name), message in cases:
        answer = secretary.post(
            "/admin/notices/new", form | {"attachment": (io.BytesIO(content), name)}, content_type="multipart/form-data"
        )
        assert answer.status_code == 422 and message in answer.get_data(as_text=True)
    image = secretary.post(
        "/admin/notices/new",
        form | {"attachment": (io.BytesIO(_png()), "通知.png")},
        content_type="multipart/form-data",
    )
    assert image.status_code == 302
    too_big = secretary.client.post(
        "/admin/notices/new",
        input_stream=UnreadableBody(11 * 1024 * 1024),
        content_type="multipart/form-data; boundary=x",
    )
    assert too_big.status_code == 413 and "附件不能超过 10 MB" in too_big.get_data(as_text=True)
