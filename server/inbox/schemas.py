"""Mini-program schemas of the inbox."""

from marshmallow import Schema, fields, validate

from server.inbox.models import InboxKind


class InboxQuerySchema(Schema):
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=40),
        metadata={"description": "next_cursor of the previous page; none for the newest items"},
    )
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))


class InboxItemSchema(Schema):
    id = fields.Integer(required=True, attribute="item.id")
    kind = fields.Enum(InboxKind, by_value=True, required=True, attribute="item.kind")
    ref_id = fields.Integer(required=True, attribute="item.ref_id", metadata={"description": "the issue's id"})
    title = fields.String(required=True, attribute="entry.title")
    subtitle = fields.String(required=True, attribute="entry.subtitle", metadata={"description": "第 N 期 · 党委名"})
    cover_url = fields.String(required=True, allow_none=True, attribute="entry.cover_url")
    delivered_at = fields.DateTime(required=True, attribute="item.delivered_at")
    unread = fields.Boolean(required=True)


class InboxPageSchema(Schema):
    items = fields.List(fields.Nested(InboxItemSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True, metadata={"description": "null on the last page"})
    unread = fields.Integer(required=True, metadata={"description": "unread items of every kind"})
    by_kind = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "unread items by kind (newspaper, notice, …), each kind named"},
    )


class UnreadSchema(Schema):
    unread = fields.Integer(required=True)
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
