"""Mini-program dues: request and answer shapes (the pages are built against these exactly)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.dues.payment_models import PaymentStatus
from server.schema_fields import RecordId

MONTH = {"description": "YYYY-MM", "example": "2026-11"}


class DuesBillSchema(Schema):
    id = fields.Integer(required=True)
    month = fields.String(required=True, metadata=MONTH)
    amount_fen = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "unpaid, paid or waived"})
    payable = fields.Boolean(required=True)
    reason = fields.String(required=True, allow_none=True, metadata={"description": "why it cannot be paid now"})


class AheadMonthSchema(Schema):
    month = fields.String(required=True, metadata=MONTH)
    amount_fen = fields.Integer(required=True)


class MyDuesQuerySchema(Schema):
    #: 代缴: a relative opens the member's shared page and sees that member's dues
    for_token = fields.String(load_default=None, validate=validate.Length(max=300))


class MyDuesSchema(Schema):
    member_name = fields.String(required=True, metadata={"description": "whose dues these are"})
    paid_up_to = fields.String(required=True, allow_none=True, metadata=MONTH)
    owed_fen = fields.Integer(required=True)
    bills = fields.List(fields.Nested(DuesBillSchema), required=True)
    ahead = fields.List(fields.Nested(AheadMonthSchema), required=True)
    voluntary_allowed = fields.Boolean(required=True)


class OrderRequestSchema(Schema):
    bill_ids = fields.List(RecordId(), required=True, validate=validate.Length(max=60))
    ahead_months = fields.Integer(load_default=0, validate=validate.Range(0, 12))
    extra_fen = fields.Integer(load_default=0, validate=validate.Range(0, 1_000_000))
    for_token = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class PaymentParamsSchema(Schema):
    """What `wx.requestPayment` takes, by its own (camelCase) names."""

    timeStamp = fields.String(required=True)
    nonceStr = fields.String(required=True)
    package = fields.String(required=True)
    signType = fields.String(required=True)
    paySign = fields.String(required=True)


class PlacedOrderSchema(Schema):
    order_no = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    expires_at = fields.DateTime(required=True)
    payment = fields.Nested(PaymentParamsSchema, required=True)


#: where a payment stands, as the member's pages are told (``payment_models.PaymentStatus``)
PAYMENT_STATUS = {
    "description": "pending: waiting for WeChat; paid; closed: not paid, no money taken; partly_refunded; "
    "refunded; reversed: a cash or transfer entry cancelled; unapplied: money received after the months "
    "were paid otherwise, covering nothing, to be refunded",
    "enum": [status.value for status in PaymentStatus],
}


class OrderSchema(Schema):
    order_no = fields.String(required=True)
    status = fields.String(required=True, metadata=PAYMENT_STATUS)
    amount_fen = fields.Integer(required=True)
    paid_at = fields.DateTime(required=True, allow_none=True)
    months = fields.List(fields.String(metadata=MONTH), required=True)


class PaymentItemSchema(Schema):
    id = fields.Integer(required=True)
    paid_at = fields.DateTime(required=True, allow_none=True)
    amount_fen = fields.Integer(required=True)
    extra_fen = fields.Integer(required=True)
    channel = fields.String(required=True, metadata={"description": "wechat, cash or transfer"})
    months = fields.List(fields.String(metadata=MONTH), required=True)
    payer_name = fields.String(required=True)
    refunded_fen = fields.Integer(required=True)
    status = fields.String(required=True, metadata=PAYMENT_STATUS)


class PaymentListSchema(Schema):
    items = fields.List(fields.Nested(PaymentItemSchema), required=True)


class ReceiptSchema(Schema):
    receipt_no = fields.String(required=True)
    member_name = fields.String(required=True)
    branch = fields.String(required=True)
    months = fields.List(fields.String(metadata=MONTH), required=True)
    amount_fen = fields.Integer(required=True)
    extra_fen = fields.Integer(required=True)
    channel = fields.String(required=True)
    paid_at = fields.DateTime(required=True, allow_none=True)
    payer_name = fields.String(required=True)


class ProxyTokenSchema(Schema):
    token = fields.String(required=True)
    expires_at = fields.DateTime(required=True)
    member_name = fields.String(required=True)
