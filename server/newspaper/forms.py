"""Reading the newspaper's admin forms: plain values out, a Chinese message for anything a secretary mistyped.

Only parsing lives here; whether a value is allowed (scope, status, uniqueness) is the services' business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from werkzeug.datastructures import MultiDict

from server.errors import AppError
from server.newspaper.models import Narrowing
from server.timezone import display_zone

MAX_NUMBER = 99_999
#: the audience picker's field per organisation: ``narrowing-<org id>``
NARROWING_FIELD = "narrowing-{}"
BAD_NUMBER = f"期号应为 1 到 {MAX_NUMBER} 之间的整数"
BAD_TIME = "请填写发布时间，如 2027-03-01 08:00（北京时间）"


@dataclass(frozen=True)
class IssueFields:
    title: str
    number: int | None  # None: the next number
    urgent: bool


def number(text: str | None) -> int | None:
    """The 期号 typed, or None when left empty (the next number is taken)."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_NUMBER:
        raise AppError("bad_number", BAD_NUMBER, status=422, fields={"number": [BAD_NUMBER]})
    return int(text)


def issue_fields(form: MultiDict) -> IssueFields:
    return IssueFields(
        title=(form.get("title") or "").strip(), number=number(form.get("number")), urgent=bool(form.get("urgent"))
    )


def org_id(form: MultiDict, name: str = "org_id") -> int:
    value = (form.get(name) or "").strip()
    if not value.isdigit() or not 0 < int(value) < 2**31:
        raise AppError("org_required", "请选择组织", status=422, fields={name: ["请选择组织"]})
    return int(value)


def targets(form: MultiDict) -> list[tuple[int, Narrowing]]:
    """The audience picker: the ticked organisations (``org_ids``), each with its narrowing."""
    chosen: list[tuple[int, Narrowing]] = []
    for raw in form.getlist("org_ids"):
        if not raw.isdigit() or not 0 < int(raw) < 2**31:
            continue  # a mangled value names no organisation
        try:
            narrowing = Narrowing(form.get(NARROWING_FIELD.format(raw)) or Narrowing.ALL.value)
        except ValueError:
            raise AppError("bad_narrowing", "发送对象无效，请重新选择", status=422) from None
        chosen.append((int(raw), narrowing))
    return chosen


def local_time(text: str | None) -> datetime:
    """A ``datetime-local`` value typed in Beijing time (the display time zone), as UTC."""
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise AppError("bad_time", BAD_TIME, status=422, fields={"publish_at": [BAD_TIME]}) from None
    if moment.tzinfo is not None:
        raise AppError("bad_time", BAD_TIME, status=422, fields={"publish_at": [BAD_TIME]})
    return moment.replace(tzinfo=display_zone()).astimezone(UTC)


#: the hour the schedule form suggests: the start of the working day
MORNING = time(8, 0)


def next_morning(now: datetime) -> datetime:
    """Tomorrow at 08:00 Beijing time (UTC): what the schedule form offers until a time is set."""
    zone = display_zone()
    day = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, MORNING, tzinfo=zone).astimezone(UTC)


def local_input(moment: datetime | None) -> str:
    """A UTC moment as a ``datetime-local`` value in Beijing time."""
    return moment.astimezone(display_zone()).strftime("%Y-%m-%dT%H:%M") if moment else ""
