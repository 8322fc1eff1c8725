"""Reading the notices' admin forms: plain values out, a Chinese message for anything mistyped.

Only parsing lives here; whether a value is allowed (scope, status, limits) is the services' business.
"""

from __future__ import annotations

from datetime import UTC, datetime

from werkzeug.datastructures import MultiDict

from server.errors import AppError
from server.notices.services import Draft
from server.timezone import display_zone

BAD_TIME = "请填写时间，如 2027-03-01 15:00（北京时间）"
BAD_NUMBER = "请填写不小于 0 的整数，或留空"


def _ids(form: MultiDict, name: str) -> list[int]:
    """Ticked ids; a mangled value names nothing."""
    return sorted({int(raw) for raw in form.getlist(name) if raw.isdigit() and 0 < int(raw) < 2**31})


def org_ids(form: MultiDict) -> list[int]:
    return _ids(form, "org_ids")


def member_ids(form: MultiDict) -> list[int]:
    return _ids(form, "member_ids")


def sender_id(form: MultiDict) -> int | None:
    """The organisation to send as; None when not given, 0 (nobody's) when mangled."""
    value = (form.get("org_id") or "").strip()
    if not value:
        return None
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else 0


def local_time(text: str | None, field: str) -> datetime | None:
    """A ``datetime-local`` value typed in Beijing time, as UTC; None when left empty."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AppError("bad_time", BAD_TIME, status=422, fields={field: [BAD_TIME]}) from None
    if moment.tzinfo is not None:
        raise AppError("bad_time", BAD_TIME, status=422, fields={field: [BAD_TIME]})
    return moment.replace(tzinfo=display_zone()).astimezone(UTC)


def draft(form: MultiDict) -> Draft:
    ack = bool(form.get("ack_required"))
    send_at = local_time(form.get("send_at"), "send_at") if form.get("when") == "later" else None
    if form.get("when") == "later" and send_at is None:
        raise AppError("send_at_required", "请填写定时发送的时间", status=422, fields={"send_at": ["此项必填"]})
    return Draft(
        title=form.get("title") or "",
        body=form.get("body") or "",
        ack_required=ack,
        ack_deadline=local_time(form.get("ack_deadline"), "ack_deadline") if ack else None,
        send_at=send_at,
        urgent=bool(form.get("urgent")),
    )


def optional_count(form: MultiDict, name: str, *, minimum: int = 0) -> int | None:
    text = (form.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < minimum or int(text) > 10_000_000:
        message = BAD_NUMBER if minimum == 0 else "请填写正整数，或留空"
        raise AppError("bad_number", message, status=422, fields={name: [message]})
    return int(text)


def local_input(moment: datetime | None) -> str:
    return moment.astimezone(display_zone()).strftime("%Y-%m-%dT%H:%M") if moment else ""
