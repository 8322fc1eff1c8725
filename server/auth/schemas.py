"""Request and response schemas of the mini-program's login and binding endpoints."""

from marshmallow import Schema, fields, validate

from server.members.schemas import MemberProfileSchema


class LoginSchema(Schema):
    code = fields.String(
        required=True, validate=validate.Length(min=1, max=128), metadata={"description": "wx.login code"}
    )


class BindPhoneSchema(Schema):
    bind_ticket = fields.String(required=True, validate=validate.Length(min=1, max=512))
    phone_code = fields.String(
        required=True, validate=validate.Length(min=1, max=128), metadata={"description": "getPhoneNumber code"}
    )


class BindInviteSchema(Schema):
    bind_ticket = fields.String(required=True, validate=validate.Length(min=1, max=512))
    invite_code = fields.String(required=True, validate=validate.Length(min=4, max=16))
    name = fields.String(required=True, validate=validate.Length(min=1, max=32))


class SessionSchema(Schema):
    """Login answer: a session when bound, else a ticket to bind with."""

    bound = fields.Boolean(required=True)
    token = fields.String(allow_none=True, metadata={"description": "send as Authorization: Bearer <token>"})
    expires_at = fields.DateTime(allow_none=True)
    bind_ticket = fields.String(allow_none=True, metadata={"description": "valid 10 minutes; pass to a bind endpoint"})
    member = fields.Nested(MemberProfileSchema, allow_none=True)


class OkSchema(Schema):
    ok = fields.Boolean(required=True)
