"""The one form of a birthday 主题党日: the meeting form's date, times, title and place, and the members."""

from __future__ import annotations

from marshmallow import fields

from server.meetings.forms import MeetingFormSchema
from server.meetings.models import MeetingKind
from server.schema_fields import RecordId


class ThemeDayFormSchema(MeetingFormSchema):
    """The meetings' own form, so dates, times and their checks are read the same way; the kind, the
    organiser and the participants are fixed by the feature (a 主题党日 of the branch)."""

    kind = fields.Enum(MeetingKind, by_value=True, load_default=MeetingKind.THEME_DAY)
    organiser_id = RecordId(load_default=None)
    member_ids = fields.List(RecordId(), load_default=list)
