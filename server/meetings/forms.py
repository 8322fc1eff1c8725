"""The secretary's meeting form: local date and times in, UTC datetimes out."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from server.meetings.models import MeetingKind
from server.schema_fields import RecordId


def local_to_utc(day, clock: time, zone: str) -> datetime:
    return datetime.combine(day, clock, tzinfo=ZoneInfo(zone)).astimezone(UTC)


class MeetingFormSchema(Schema):
    kind = fields.Enum(MeetingKind, by_value=True, required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    organiser_id = RecordId(required=True)
    participant_ids = fields.List(RecordId(), load_default=list)
    day = fields.Date(required=True)
    starts = fields.Time(required=True)
    ends = fields.Time(required=True)
    place = fields.String(load_default="", validate=validate.Length(max=200))
    geo_lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-90, max=90))
    geo_lng = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-180, max=180))
    geo_radius_m = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=20, max=5000))
    backfill_reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={
            "description": "补录: why a meeting already held (on paper) is recorded only now; "
            "required when the start has passed, refused otherwise"
        },
    )
    #: 现场核验: members' own scans of the projected code do not count
    strict_checkin = fields.Boolean(load_default=False)

    @validates_schema(skip_on_field_errors=False)  # report every problem at once
    def _consistent(self, data: dict, **_: object) -> None:
        if data.get("ends") and data.get("starts") and data["ends"] <= data["starts"]:
            raise ValidationError("结束时间应晚于开始时间", "ends")
        keys = ("geo_lat", "geo_lng", "geo_radius_m")
        if not all(key in data for key in keys):
            return  # one of them was itself invalid and already has its own message
        geo = [data[key] for key in keys]
        if any(value is not None for value in geo) and None in geo:
            raise ValidationError("定位签到需同时填写纬度、经度和半径", "geo_radius_m")

    @post_load
    def _each_participant_once(self, data: dict, **_: object) -> dict:
        data["participant_ids"] = list(dict.fromkeys(data["participant_ids"]))  # a crafted form may repeat one
        return data

    @post_load
    def _to_utc(self, data: dict, **_: object) -> dict:
        zone = current_app.config["DISPLAY_TIMEZONE"]
        data["starts_at"] = local_to_utc(data["day"], data.pop("starts"), zone)
        data["ends_at"] = local_to_utc(data.pop("day"), data.pop("ends"), zone)
        geo = (data.pop("geo_lat"), data.pop("geo_lng"), data.pop("geo_radius_m"))
        data["geofence"] = geo if geo[2] is not None else None
        return data


class ManualCheckinSchema(Schema):
    member_id = RecordId(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
