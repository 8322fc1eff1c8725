"""Signed, short-lived check-in codes (itsdangerous).

Two kinds:
- the meeting's live code, shown on the projected screen and refreshed every few seconds: signed with
  that meeting's own secret, so a code names its meeting and expires ``MEETING_CODE_TTL`` seconds after
  it was shown — a photo forwarded to someone at home is already dead when it arrives;
- a member's personal code, shown in the mini-program for the secretary to scan where there is no
  projector: signed with the app's key, valid ``MEMBER_CODE_TTL`` seconds.

The projected meeting code is shown as a link, ``<checkin_link_prefix>?c=M12.<signed>`` (the prefix from
the deployment's mp_config), so WeChat's own 扫一扫 opens the mini-program's meeting page with the link in
``options.q`` (扫普通链接二维码打开小程序). ``parse`` takes that link or the bare code an older screen shows.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import qrcode
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from server.errors import AppError
from server.meetings.models import Meeting

if TYPE_CHECKING:
    from server.meetings.checkin import MeetingFacts

MEETING_PREFIX = "M"
MEMBER_PREFIX = "U"


@dataclass(frozen=True)
class ParsedCode:
    kind: str  # MEETING_PREFIX or MEMBER_PREFIX
    subject_id: int  # meeting id or member id
    signed: str


FOREIGN_LINK = "这不是本系统的签到二维码，请扫描会议现场大屏上的签到码"


def link_prefix() -> str:
    return current_app.extensions["mp_config"]["checkin_link_prefix"]


def checkin_link(code: str) -> str:
    """The link the projected QR encodes; the code's characters need no escaping in a query."""
    return f"{link_prefix()}?c={code}"


def _same_place(link: str, prefix: str) -> bool:
    """Scheme, host (any case) and path as the prefix has them: a look-alike host is not ours."""
    got, want = urlsplit(link), urlsplit(prefix)
    return (got.scheme.lower(), got.netloc.lower(), got.path) == (want.scheme.lower(), want.netloc.lower(), want.path)


def code_from_link(text: str) -> str:
    """The code inside a scanned link of ours; the bare code as it is."""
    text = (text or "").strip()
    if not text.lower().startswith(("http://", "https://")):
        return text
    if not _same_place(text, link_prefix()):
        raise AppError("code_foreign", FOREIGN_LINK)
    values = parse_qs(urlsplit(text).query).get("c") or [""]
    return values[0]


def parse(code: str) -> ParsedCode:
    """Split ``M12.<signed>`` / ``U34.<signed>``, bare or inside our check-in link; anything else is not
    one of our codes."""
    prefix, _, signed = code_from_link(code).strip().partition(".")
    if len(prefix) < 2 or prefix[0] not in (MEETING_PREFIX, MEMBER_PREFIX) or not prefix[1:].isdigit() or not signed:
        raise AppError("code_invalid", "无法识别的签到码，请扫描会议现场的签到二维码")
    return ParsedCode(prefix[0], int(prefix[1:]), signed)


def _meeting_serializer(meeting: Meeting | MeetingFacts) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(meeting.code_secret, salt="meeting-checkin")


def _member_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="member-checkin")


def meeting_code(meeting: Meeting) -> str:
    return f"{MEETING_PREFIX}{meeting.id}.{_meeting_serializer(meeting).dumps(meeting.id)}"


def member_code(member_id: int) -> str:
    return f"{MEMBER_PREFIX}{member_id}.{_member_serializer().dumps(member_id)}"


def _verify(serializer: URLSafeTimedSerializer, signed: str, expected: int, max_age: int, expired_message: str) -> None:
    try:
        payload = serializer.loads(signed, max_age=max_age)
    except SignatureExpired as exc:
        raise AppError("code_expired", expired_message) from exc
    except BadSignature as exc:
        raise AppError("code_forged", "签到码无效（可能被篡改或伪造）") from exc
    if payload != expected:
        raise AppError("code_forged", "签到码无效（可能被篡改或伪造）")


def verify_meeting_code(parsed: ParsedCode, meeting: Meeting | MeetingFacts) -> None:
    """The code must be this meeting's, correctly signed, and fresh."""
    if parsed.kind != MEETING_PREFIX:
        raise AppError("code_invalid", "这是党员的个人签到码，请扫描会议现场的签到二维码")
    if parsed.subject_id != meeting.id:
        raise AppError("wrong_meeting", "这是另一场会议的签到码，请确认您要参加的会议")
    _verify(
        _meeting_serializer(meeting),
        parsed.signed,
        meeting.id,
        current_app.config["MEETING_CODE_TTL"],
        "签到码已过期，请扫描现场大屏上的最新二维码",
    )


def verify_member_code(parsed: ParsedCode) -> int:
    """The member id behind a personal code the secretary scanned."""
    if parsed.kind != MEMBER_PREFIX:
        raise AppError("code_invalid", "这是会议签到码，请扫描党员手机上的个人签到码")
    _verify(
        _member_serializer(),
        parsed.signed,
        parsed.subject_id,
        current_app.config["MEMBER_CODE_TTL"],
        "党员的签到码已过期，请让其刷新后再扫",
    )
    return parsed.subject_id


def qr_png_base64(code: str) -> str:
    """The code as a QR image, base64 PNG: the mini-program shows it without another request."""
    buffer = io.BytesIO()
    image = qrcode.make(code, box_size=8, border=2)
    image.save(buffer, format="PNG")  # pragma: no mutate (PNG is also qrcode's default: the same bytes)
    return base64.b64encode(buffer.getvalue()).decode()
