"""Mini-program endpoints of notices: a notice (opening it reads it), 确认收到, and its attachment.

A notice is visible to the members it was delivered to while it is sent (not withdrawn); anything else
answers as missing (404), the same to the letter as a notice that does not exist.
"""

from __future__ import annotations

from flask import url_for

from server.auth.current import current_identity, member_required
from server.http import ApiBlueprint
from server.notices import attachments, receipts
from server.notices.schemas import AckSchema, NoticeSchema

blp = ApiBlueprint("notices_api", __name__, url_prefix="/api/notices", description="通知公告")
BEARER = [{"bearer": []}]
FILE_TYPES = {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}


@blp.route("/<int:notice_id>", methods=["GET"])
@member_required
@blp.response(200, NoticeSchema)
@blp.doc(security=BEARER)
def notice_detail(notice_id: int):
    """A notice I received; opening it marks it read (and cancels a reminder I no longer need)."""
    member_id = current_identity().id
    notice, _ = receipts.for_member(member_id, notice_id)
    receipts.open_notice(member_id, notice)
    ack = receipts.ack_of(member_id, notice.id)
    attachment = None
    if notice.attachment:
        attachment = {
            "kind": notice.attachment_kind,
            "name": notice.attachment_name,
            "url": url_for("notices_api.notice_attachment", notice_id=notice.id, _external=True),
        }
    return {
        "id": notice.id,
        "title": notice.title,
        "body": notice.body,
        "org_name": notice.org.name,
        "sent_at": notice.sent_at,
        "ack_required": notice.ack_required,
        "ack_deadline": notice.ack_deadline,
        "acked_at": ack.acked_at if ack else None,
        "ack_late": bool(ack and ack.late),
        "attachment": attachment,
    }


@blp.route("/<int:notice_id>/ack", methods=["POST"])
@member_required
@blp.response(200, AckSchema)
@blp.doc(security=BEARER)
def acknowledge(notice_id: int):
    """确认收到. Tapped twice, the first time stands. After the deadline it is taken and marked late;
    409 ``ack_not_required`` for a notice that asks for none."""
    member_id = current_identity().id
    notice, _ = receipts.for_member(member_id, notice_id)
    ack = receipts.acknowledge(member_id, notice)
    return {"acked_at": ack.acked_at, "late": ack.late}


@blp.route("/<int:notice_id>/attachment", methods=["GET"])
@member_required
@blp.response(200, content_type="application/pdf", description="the file: a PDF, or a JPEG or PNG image")
@blp.doc(security=BEARER, responses={"200": {"content": FILE_TYPES}})
def notice_attachment(notice_id: int):
    """The notice's attachment, to those it was sent to."""
    notice, _ = receipts.for_member(current_identity().id, notice_id)
    return attachments.download(notice.attachment, notice.attachment_name)
