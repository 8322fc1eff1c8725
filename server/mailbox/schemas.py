"""Mini-program schemas of the mailbox and the board.

Nothing here has a field for a letter's author: the member reads their own letters, and a letter's
readers never use the API.
"""

from marshmallow import Schema, fields, validate

from server.mailbox.member_services import ANONYMITY_NOTE
from server.mailbox.models import Addressee, LetterStatus, PostStatus

_SUBJECT = validate.Length(min=1, max=40, error="主题应为 1 至 40 字")
_BODY = validate.Length(min=1, max=2000, error="内容应为 1 至 2000 字")


class MailboxSchema(Schema):
    addressee = fields.Enum(Addressee, by_value=True, required=True)
    label = fields.String(required=True, metadata={"description": "书记信箱 / 党委信箱"})
    org_name = fields.String(required=True)


class MailboxesSchema(Schema):
    mailboxes = fields.List(fields.Nested(MailboxSchema), required=True)
    anonymity_note = fields.String(required=True, metadata={"description": "shown beside the anonymity box"})


class NewLetterSchema(Schema):
    addressee = fields.Enum(Addressee, by_value=True, required=True)
    subject = fields.String(required=True, validate=_SUBJECT)
    body = fields.String(required=True, validate=_BODY)
    anonymous = fields.Boolean(load_default=False, metadata={"description": ANONYMITY_NOTE})


class LetterSchema(Schema):
    id = fields.Integer(required=True)
    addressee = fields.Enum(Addressee, by_value=True, required=True)
    addressee_label = fields.String(required=True)
    org_name = fields.String(required=True, attribute="org.name")
    subject = fields.String(required=True)
    body = fields.String(required=True)
    anonymous = fields.Boolean(required=True)
    status = fields.Enum(LetterStatus, by_value=True, required=True)
    status_label = fields.String(required=True, metadata={"description": "待受理 / 办理中 / 已回复"})
    received_at = fields.DateTime(required=True)
    reply = fields.String(required=True, metadata={"description": "empty until replied"})
    replied_at = fields.DateTime(required=True, allow_none=True)


class LettersSchema(Schema):
    letters = fields.List(fields.Nested(LetterSchema), required=True)


class NewPostSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=500, error="留言应为 1 至 500 字"))


class PostSchema(Schema):
    id = fields.Integer(required=True)
    author = fields.String(required=True, metadata={"description": "the member's name"})
    body = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    mine = fields.Boolean(required=True)
    status = fields.Enum(PostStatus, by_value=True, required=True, metadata={"description": "pending: awaits approval"})


class BoardSchema(Schema):
    branch_name = fields.String(required=True)
    posts = fields.List(fields.Nested(PostSchema), required=True)
    premoderated = fields.Boolean(required=True, metadata={"description": "posts show after the secretary approves"})
