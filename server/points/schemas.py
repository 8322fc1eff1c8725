"""Mini-program points: 我的积分 and the leaderboards (the pages are built against these exactly)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.points.models import PointsSource

SOURCES = {"type": "string", "enum": [source.value for source in PointsSource]}


class BySourceSchema(Schema):
    practice = fields.Integer(required=True, metadata={"description": "每日练习"})
    exam = fields.Integer(required=True, metadata={"description": "考试"})
    contest = fields.Integer(required=True, metadata={"description": "竞答"})
    reading = fields.Integer(required=True, metadata={"description": "阅读手机报"})


class CapsSchema(Schema):
    practice = fields.Integer(required=True, allow_none=True)
    exam = fields.Integer(required=True, allow_none=True)
    contest = fields.Integer(required=True, allow_none=True)
    reading = fields.Integer(required=True, allow_none=True)


class PointsEntrySchema(Schema):
    source = fields.String(required=True, metadata=SOURCES)
    label = fields.String(required=True, metadata={"description": "the source in Chinese"})
    note = fields.String(required=True, metadata={"description": "what earned them, e.g. the quiz's title"})
    points = fields.Integer(required=True)
    earned_on = fields.Date(required=True, metadata={"description": "the Beijing-time day they count for"})
    created_at = fields.DateTime(required=True)


class MyPointsSchema(Schema):
    total = fields.Integer(required=True)
    today = fields.Integer(required=True)
    by_source = fields.Nested(BySourceSchema, required=True)
    today_by_source = fields.Nested(BySourceSchema, required=True)
    daily_caps = fields.Nested(CapsSchema, required=True, metadata={"description": "per source a day; null: none"})
    recent = fields.List(fields.Nested(PointsEntrySchema), required=True)


class LeaderboardQuerySchema(Schema):
    scope = fields.String(
        load_default="branch",
        validate=validate.OneOf(["branch", "committee"]),
        metadata={"description": "my branch's board, or my committee's (党委)"},
    )
    period = fields.String(load_default="all", validate=validate.OneOf(["all", "month"]))


class StandingSchema(Schema):
    rank = fields.Integer(required=True, metadata={"description": "equal points, equal rank"})
    name = fields.String(required=True)
    org_name = fields.String(required=True, metadata={"description": "the member's branch"})
    points = fields.Integer(required=True)
    is_me = fields.Boolean(required=True, metadata={"description": "this line is the member asking"})


class MyStandingSchema(Schema):
    rank = fields.Integer(required=True, allow_none=True, metadata={"description": "null: no points yet"})
    points = fields.Integer(required=True)


class LeaderboardSchema(Schema):
    scope = fields.String(required=True)
    period = fields.String(required=True)
    org_name = fields.String(required=True, metadata={"description": "whose board"})
    items = fields.List(fields.Nested(StandingSchema), required=True, metadata={"description": "the best 50"})
    me = fields.Nested(MyStandingSchema, required=True)
