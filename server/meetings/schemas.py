"""Mini-program schemas of meetings and check-in."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.meetings import phase as phases
from server.meetings.attendance import ABSENT
from server.meetings.forms import MeetingFormSchema
from server.meetings.models import (
    ATTENDANCE_STATUS_LABELS,
    CHECKIN_FLAG_LABELS,
    MEETING_KIND_LABELS,
    AttendanceStatus,
    CheckinFlag,
    CheckinMethod,
    LeaveStatus,
    MeetingKind,
)

#: how a member reads their status at a past meeting (the admin's attendance list says the same)
ATTENDANCE_LABELS = {status.value: label for status, label in ATTENDANCE_STATUS_LABELS.items()} | {ABSENT: "缺席"}
#: how a check-in was recorded, in the admin's attendance list's words
METHOD_LABELS = {
    CheckinMethod.MEETING_CODE: "扫会议码",
    CheckinMethod.MEMBER_CODE: "书记扫码",
    CheckinMethod.MANUAL: "手工",
}


class CheckinSchema(Schema):
    code = fields.String(
        required=True,
        validate=validate.Length(min=3, max=300),
        metadata={
            "description": "the scanned text: the projected link <checkin_link_prefix>?c=M7.<signed>, or the bare "
            "code M7.<signed> of an older screen; a link of another host or path is refused (code_foreign)"
        },
    )
    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-180, max=180))
    accuracy = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=100_000),
        metadata={"description": "metres, as wx.getLocation gives it; a location without it is marked for review"},
    )

    @validates_schema
    def _both_or_neither(self, data: dict, **_: object) -> None:
        """A location is a pair; half of one cannot be placed against the meeting's geofence."""
        if (data["latitude"] is None) != (data["longitude"] is None):
            missing = "longitude" if data["longitude"] is None else "latitude"
            raise ValidationError("纬度和经度需同时提供", missing)


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
    backfilled = fields.Boolean(
        metadata={"description": "补录: held on paper and recorded afterwards; no check-in by scanning"}
    )
    backfill_reason = fields.String(allow_none=True, metadata={"description": "why it was recorded afterwards"})
    strict_checkin = fields.Boolean(
        metadata={
            "description": "现场核验: members show their personal code; a scan of the projected code does not count"
        }
    )
    phase = fields.Function(
        lambda m: phases.phase_of(m),
        metadata={
            "type": "string",
            "enum": list(phases.PHASES),
            "description": "upcoming (check-in not open yet), open (check-in open), closed (check-in over, "
            "meeting not ended), ended, cancelled",
        },
    )


class MemberCodeSchema(Schema):
    code = fields.String(required=True)
    member_name = fields.String(required=True, metadata={"description": "whose code it is, shown under it"})
    qr_png_base64 = fields.String(required=True, metadata={"description": "the code as a QR image"})
    expires_in = fields.Integer(required=True, metadata={"description": "seconds; refresh before then"})


class MyAttendanceSchema(Schema):
    status = fields.Enum(AttendanceStatus, by_value=True, allow_none=True)
    checked_in_at = fields.DateTime(allow_none=True)


class MeetingDetailSchema(MeetingBriefSchema):
    checkin_opens_at = fields.DateTime()
    checkin_closes_at = fields.DateTime()
    latitude = fields.Float(
        attribute="geo_lat", allow_none=True, metadata={"description": "venue (WGS-84), for directions; or null"}
    )
    longitude = fields.Float(attribute="geo_lng", allow_none=True)
    leave_open = fields.Function(
        lambda m: phases.leave_open(m),
        metadata={"type": "boolean", "description": "leave may still be asked for (before the start)"},
    )
    checkin_code_ttl = fields.Integer(
        metadata={"description": "seconds a projected code stays valid: a scan older than this is dead"}
    )
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


# ---------------------------------------------------------------------------------------------------
# Secretary mode: scheduling a meeting from the phone


class MeetingCreateSchema(MeetingFormSchema):
    """A meeting scheduled from the mini-program: the admin form's fields, checks and time conversion.

    ``day``, ``starts`` and ``ends`` are Beijing local date and times ("2026-11-24", "09:00"); the
    participants are the organiser when ``participant_ids`` is empty. A geofence needs ``geo_lat``,
    ``geo_lng`` and ``geo_radius_m`` (20–5000 metres) together.
    """


class OrgChoiceSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class KindChoiceSchema(Schema):
    value = fields.Enum(MeetingKind, by_value=True, required=True)
    label = fields.String(required=True)


class MeetingOptionsSchema(Schema):
    """What the secretary may choose on the phone's 安排会议 form."""

    branch = fields.Nested(OrgChoiceSchema, required=True, metadata={"description": "organiser; default participants"})
    groups = fields.List(
        fields.Nested(OrgChoiceSchema),
        required=True,
        metadata={"description": "party groups that may take part instead"},
    )
    kinds = fields.List(fields.Nested(KindChoiceSchema), required=True)


# ---------------------------------------------------------------------------------------------------
# My attendance over a year


class AttendanceYearQuerySchema(Schema):
    year = fields.Integer(
        load_default=None, validate=validate.Range(min=2000, max=2100), metadata={"description": "default: this year"}
    )


class AttendedMeetingSchema(Schema):
    id = fields.Integer(attribute="meeting.id")
    kind = fields.Enum(MeetingKind, by_value=True, attribute="meeting.kind")
    kind_label = fields.Function(lambda item: MEETING_KIND_LABELS[item.meeting.kind])
    title = fields.String(attribute="meeting.title")
    starts_at = fields.DateTime(attribute="meeting.starts_at")
    ends_at = fields.DateTime(attribute="meeting.ends_at")
    place = fields.String(attribute="meeting.place")
    backfilled = fields.Boolean(attribute="meeting.backfilled", metadata={"description": "补录"})
    status = fields.String(
        validate=validate.OneOf(list(ATTENDANCE_LABELS)), metadata={"description": "present, late, leave or absent"}
    )
    status_label = fields.Function(lambda item: ATTENDANCE_LABELS[item.status])


class AttendanceYearSchema(Schema):
    """My attendance in one year, over the meetings of my branch or party group that have ended."""

    year = fields.Integer(required=True)
    expected = fields.Integer(
        required=True, attribute="figures.expected", metadata={"description": "meetings I was expected at"}
    )
    present = fields.Integer(required=True, attribute="figures.present")
    late = fields.Integer(required=True, attribute="figures.late")
    leave = fields.Integer(required=True, attribute="figures.leave", metadata={"description": "approved leave"})
    absent = fields.Integer(required=True, attribute="figures.absent")
    attended = fields.Integer(required=True, attribute="figures.attended", metadata={"description": "present or late"})
    rate = fields.Float(
        allow_none=True,
        attribute="figures.rate",
        metadata={"description": "attended / expected; null with no meetings"},
    )
    meetings = fields.List(fields.Nested(AttendedMeetingSchema), metadata={"description": "newest first"})


# ---------------------------------------------------------------------------------------------------
# Secretary mode: the live list of who has come


class CheckinFlagSchema(Schema):
    code = fields.String(
        attribute="value", required=True, validate=validate.OneOf([flag.value for flag in CheckinFlag])
    )
    label = fields.Function(lambda flag: CHECKIN_FLAG_LABELS[flag], metadata={"description": "Chinese"})


class ArrivalSchema(Schema):
    name = fields.String(required=True)
    status = fields.Enum(AttendanceStatus, by_value=True, required=True, metadata={"description": "present or late"})
    status_label = fields.Function(lambda arrival: ATTENDANCE_LABELS[arrival.status.value])
    method = fields.Enum(CheckinMethod, by_value=True, required=True)
    method_label = fields.Function(lambda arrival: METHOD_LABELS[arrival.method])
    checked_in_at = fields.DateTime(required=True)
    flags = fields.List(
        fields.Nested(lambda: CheckinFlagSchema()),
        required=True,
        metadata={"description": "marks of a check-in the secretary should look at; usually empty"},
    )


class LiveListSchema(Schema):
    """Who has come to the meeting so far. The counts cover everyone expected; each list carries at most
    ``services.LIVE_NAMES_SHOWN`` (100) names, so ``not_arrived`` may exceed the names sent."""

    expected = fields.Integer(
        required=True, metadata={"description": "应到: members of the branches and groups taking part"}
    )
    arrived = fields.Integer(required=True, metadata={"description": "present + late"})
    present = fields.Integer(required=True, metadata={"description": "已到, on time"})
    late = fields.Integer(required=True, metadata={"description": "迟到"})
    leave = fields.Integer(required=True, metadata={"description": "请假 (approved)"})
    not_arrived = fields.Integer(required=True, metadata={"description": "未到"})
    arrivals = fields.List(fields.Nested(ArrivalSchema), required=True, metadata={"description": "newest first"})
    not_arrived_names = fields.List(fields.String(), required=True, metadata={"description": "pinyin order"})
    on_leave_names = fields.List(fields.String(), required=True, metadata={"description": "pinyin order"})
