"""Mini-program schemas of meetings and check-in."""

from marshmallow import Schema, fields, validate

from server.meetings.models import MEETING_KIND_LABELS, AttendanceStatus, LeaveStatus, MeetingKind


class CheckinSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=3, max=300))
    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-180, max=180))


class ScanMemberSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=3, max=300))


class CheckinResultSchema(Schema):
    ok = fields.Boolean(required=True)
    already = fields.Boolean(required=True, metadata={"description": "true when this member was already checked in"})
    status = fields.Enum(AttendanceStatus, by_value=True, required=True)
    checked_in_at = fields.DateTime(allow_none=True)
    message = fields.String(required=True, metadata={"description": "Chinese, e.g. 已于 08:58 签到"})
    member_name = fields.String()


class MeetingBriefSchema(Schema):
    id = fields.Integer()
    kind = fields.Enum(MeetingKind, by_value=True)
    kind_label = fields.Function(lambda m: MEETING_KIND_LABELS[m.kind])
    title = fields.String()
    organiser = fields.Function(lambda m: m.organiser.name)
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    place = fields.String()
    needs_location = fields.Function(lambda m: m.geo_radius_m is not None)


class MemberCodeSchema(Schema):
    code = fields.String(required=True)
    qr_png_base64 = fields.String(required=True, metadata={"description": "the code as a QR image"})
    expires_in = fields.Integer(required=True, metadata={"description": "seconds; refresh before then"})


class MyAttendanceSchema(Schema):
    status = fields.Enum(AttendanceStatus, by_value=True, allow_none=True)
    checked_in_at = fields.DateTime(allow_none=True)


class MeetingDetailSchema(MeetingBriefSchema):
    checkin_opens_at = fields.DateTime()
    checkin_closes_at = fields.DateTime()
    my_attendance = fields.Nested(MyAttendanceSchema, allow_none=True)
    my_leave = fields.Nested(lambda: LeaveSchema(), allow_none=True)
    can_scan_members = fields.Boolean(metadata={"description": "secretary mode is available"})


class LeaveRequestSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class LeaveSchema(Schema):
    id = fields.Integer()
    status = fields.Enum(LeaveStatus, by_value=True)
    reason = fields.String()
    created_at = fields.DateTime()
