"""Mini-program schemas of members' reminder consent."""

from marshmallow import Schema, fields, validate

from server.subscriptions.models import Choice


class ChoicesSchema(Schema):
    results = fields.Dict(
        required=True,
        keys=fields.String(validate=validate.Length(min=1, max=128)),
        values=fields.String(validate=validate.Length(max=32)),
        validate=validate.Length(min=1, max=10),
        metadata={
            "description": "wx.requestSubscribeMessage's answer: template id → accept, reject, ban or filter. "
            "An unknown template id is refused (422 unknown_template); other answers and errMsg are ignored."
        },
    )


class PurposeSchema(Schema):
    purpose = fields.String(required=True, metadata={"description": "meeting_reminder, dues_reminder, …"})
    title = fields.String(required=True, metadata={"description": "Chinese, e.g. 会议提醒"})
    template_id = fields.String(required=True)
    remaining = fields.Integer(required=True, metadata={"description": "one-time messages we believe are left"})
    status_label = fields.String(required=True, metadata={"description": "还可提醒 N 次, or 未开启"})
    last_choice = fields.Enum(Choice, by_value=True, allow_none=True, required=True)
    last_choice_at = fields.DateTime(allow_none=True, required=True)
    refused_at = fields.DateTime(
        allow_none=True, required=True, metadata={"description": "when WeChat last said the consent was gone"}
    )


class SubscriptionsSchema(Schema):
    subscriptions = fields.List(fields.Nested(PurposeSchema), required=True)
