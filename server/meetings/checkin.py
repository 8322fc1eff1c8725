"""Checking in: one transaction, idempotent, every refusal explained and logged (after pretix's care).

A scan either creates the member's attendance row or finds the one already there ("已于 08:58 签到");
the unique (meeting, member) constraint decides between concurrent scans, so 50 taps at once still
leave one row. Every scan, accepted or refused, leaves a CheckinAttempt row with its reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from server.db import db, keep_on_error, utcnow
from server.errors import AppError
from server.meetings.minutes import attendance_locked
from server.meetings.models import Attendance, AttendanceStatus, CheckinAttempt, CheckinMethod, Meeting
from server.meetings.services import is_participant
from server.members.models import Member

EARTH_RADIUS_M = 6_371_000


@dataclass
class CheckinResult:
    attendance: Attendance
    already: bool

    @property
    def message(self) -> str:
        time = _local(self.attendance.checked_in_at).strftime("%H:%M") if self.attendance.checked_in_at else ""
        if self.already:
            return f"已于 {time} 签到"
        return "签到成功（迟到）" if self.attendance.status is AttendanceStatus.LATE else "签到成功"


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"]))


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine) between two WGS-84 points, in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _check_open(meeting: Meeting, now: datetime, *, after_close: bool = False) -> None:
    if meeting.cancelled_at is not None:
        raise AppError("meeting_cancelled", "会议已取消")
    if now < meeting.checkin_opens_at:
        opens = _local(meeting.checkin_opens_at)
        raise AppError("checkin_not_open", f"签到尚未开始，将于 {opens:%m月%d日 %H:%M} 开放")
    if now > meeting.checkin_closes_at and not after_close:
        raise AppError("checkin_closed", f"签到已于 {_local(meeting.checkin_closes_at):%m月%d日 %H:%M} 结束")


def _check_location(meeting: Meeting, location: tuple[float, float] | None) -> None:
    if meeting.geo_radius_m is None:
        return
    if location is None:
        raise AppError("location_required", "本次会议需要定位签到，请允许小程序获取位置后重试")
    away = distance_m(meeting.geo_lat, meeting.geo_lng, *location)  # type: ignore[arg-type]
    if away > meeting.geo_radius_m:
        limit = meeting.geo_radius_m
        raise AppError("outside_geofence", f"您不在会场范围内（距会场约 {round(away)} 米，需在 {limit} 米内）")


def _status_at(meeting: Meeting, now: datetime) -> AttendanceStatus:
    late_after = meeting.starts_at + timedelta(minutes=current_app.config["MEETING_LATE_MINUTES"])
    return AttendanceStatus.LATE if now > late_after else AttendanceStatus.PRESENT


def _log(meeting_id: int | None, member_id: int | None, method: CheckinMethod, result: str, detail: str) -> None:
    db.session.add(
        CheckinAttempt(meeting_id=meeting_id, member_id=member_id, method=method, result=result, detail=detail[:200])
    )


def _existing(meeting: Meeting, member: Member) -> Attendance | None:
    return db.session.scalar(
        sa.select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.member_id == member.id)
    )


def _insert_once(attendance: Attendance) -> bool:
    """Insert the row unless a concurrent scan got there first; True if this call created it."""
    try:
        with db.session.begin_nested():
            db.session.add(attendance)
        return True
    except IntegrityError:
        return False


def check_in(
    meeting: Meeting,
    member: Member,
    method: CheckinMethod,
    *,
    location: tuple[float, float] | None = None,
    recorded_by_id: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> CheckinResult:
    """Record that ``member`` is at ``meeting``; the code, if any, was verified by the caller."""
    now = now or utcnow()
    try:
        existing = _existing(meeting, member)
        if existing is not None and existing.status is not AttendanceStatus.LEAVE:
            result = CheckinResult(existing, already=True)
        else:
            if attendance_locked(meeting.id):
                raise AppError("minutes_finalised", "会议纪要已定稿，签到记录不能再更改")
            # The secretary may still record by hand after the window closes (audited, with a reason).
            _check_open(meeting, now, after_close=method is CheckinMethod.MANUAL)
            if not is_participant(meeting, member):
                raise AppError("not_participant", "您不在本次会议的参会范围内")
            if method is not CheckinMethod.MANUAL:
                _check_location(meeting, location)
            fields = {
                "status": _status_at(meeting, now),
                "method": method,
                "checked_in_at": now,
                "note": note,
                "recorded_by_id": recorded_by_id,
            }
            if existing is not None:  # on leave, but came after all
                for key, value in fields.items():
                    setattr(existing, key, value)
                result = CheckinResult(existing, already=False)
            else:
                attendance = Attendance(meeting=meeting, member_id=member.id, **fields)
                created = _insert_once(attendance)
                winner = attendance if created else _existing(meeting, member)
                result = CheckinResult(winner, already=not created)  # type: ignore[arg-type]
    except AppError as refusal:
        _log(meeting.id, member.id, method, refusal.code, refusal.message)
        keep_on_error()  # the refusal is part of the record
        raise
    _log(meeting.id, member.id, method, "already_checked_in" if result.already else "ok", result.message)
    db.session.flush()
    return result


def mark_present(meeting: Meeting, member: Member, reason: str, recorded_by_id: int | None) -> CheckinResult:
    """The secretary marks a member present by hand (no smartphone); the reason is kept and audited."""
    if not reason.strip():
        raise AppError("reason_required", "手工签到须填写原因（如：年长党员无智能手机）")
    return check_in(meeting, member, CheckinMethod.MANUAL, recorded_by_id=recorded_by_id, note=reason.strip()[:200])


@contextmanager
def refusals_logged(meeting_id: int | None, member_id: int | None, method: CheckinMethod) -> Iterator[None]:
    """Keep a scan whose code could not even be verified (forged, expired, another meeting's)."""
    try:
        yield
    except AppError as refusal:
        _log(meeting_id, member_id, method, refusal.code, refusal.message)
        keep_on_error()
        raise
