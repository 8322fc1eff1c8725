"""Mini-program schemas of political birthdays: the greeting card and the member's own birthday."""

from marshmallow import Schema, fields


class CardSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "the greeting's id (the inbox item's ref_id)"})
    name = fields.String(required=True)
    join_date = fields.Date(required=True, metadata={"description": "入党日期"})
    years = fields.Integer(required=True, metadata={"description": "which political birthday: 您的第 N 个政治生日"})
    greeted_on = fields.Date(required=True, metadata={"description": "the day it was greeted (Beijing date)"})
    line = fields.String(required=True, metadata={"description": "a short line for the card"})


class MyBirthdaySchema(Schema):
    join_date = fields.Date(required=True, allow_none=True, metadata={"description": "null if the register has none"})
    next_birthday = fields.Date(required=True, allow_none=True, metadata={"description": "today or later"})
    years_in_party = fields.Integer(required=True, allow_none=True, metadata={"description": "whole years, today"})
    greeting = fields.Nested(
        CardSchema, required=True, allow_none=True, metadata={"description": "the latest greeting, if any"}
    )
