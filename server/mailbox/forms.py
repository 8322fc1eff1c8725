"""Reading the mailbox's admin forms and query strings; anything mangled becomes None or a Chinese refusal."""

from __future__ import annotations

from server.admin.access import MAX_ID, bounded_int
from server.errors import AppError
from server.mailbox.models import LetterStatus, PostStatus
from server.mailbox.settings import BAD_REPLY_DAYS, REPLY_DAYS_RANGE


def letter_status(value: str | None) -> LetterStatus | None:
    try:
        return LetterStatus(value or "")
    except ValueError:
        return None


def post_status(value: str | None) -> PostStatus | None:
    try:
        return PostStatus(value or "")
    except ValueError:
        return None


def org_id(form) -> int:
    found = bounded_int(form.get("org_id"), range(1, MAX_ID + 1))
    if found is None:
        raise AppError("org_required", "请选择组织", status=422, fields={"org_id": ["请选择组织"]})
    return found


def reply_days(form) -> int | None:
    """Blank: inherit from above again; otherwise 1 to 90 days."""
    raw = (form.get("reply_days") or "").strip()
    if not raw:
        return None
    days = bounded_int(raw, REPLY_DAYS_RANGE)
    if days is None:
        raise AppError("bad_reply_days", BAD_REPLY_DAYS, status=422, fields={"reply_days": [BAD_REPLY_DAYS]})
    return days
