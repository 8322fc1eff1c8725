"""Mini-program schemas of notices."""

from marshmallow import Schema, fields

from server.notices.models import AttachmentKind


class AttachmentSchema(Schema):
    kind = fields.Enum(AttachmentKind, by_value=True, required=True, metadata={"description": "image or pdf"})
    name = fields.String(required=True, metadata={"description": "the file's name as uploaded"})
    url = fields.String(required=True, metadata={"description": "download with the bearer token"})


class NoticeSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True, metadata={"description": "plain text, shown as written"})
    org_name = fields.String(required=True, metadata={"description": "the sending organisation"})
    sent_at = fields.DateTime(required=True)
    ack_required = fields.Boolean(required=True, metadata={"description": "需回执: the page shows 确认收到"})
    ack_deadline = fields.DateTime(required=True, allow_none=True)
    acked_at = fields.DateTime(required=True, allow_none=True, metadata={"description": "when I acknowledged it"})
    ack_late = fields.Boolean(required=True, metadata={"description": "I acknowledged it after the deadline"})
    attachment = fields.Nested(AttachmentSchema, required=True, allow_none=True)


class AckSchema(Schema):
    acked_at = fields.DateTime(required=True)
    late = fields.Boolean(required=True, metadata={"description": "after the deadline: taken, and shown as late"})
