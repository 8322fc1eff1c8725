"""Checking in: one transaction, idempotent, every refusal explained and logged (after pretix's care).

A scan either creates the member's attendance row or finds the one already there ("已于 08:58 签到");
the unique (meeting, member) constraint decides between concurrent scans, so 50 taps at once still
leave one row. Every scan leaves a row: an accepted one its attendance row (time, method, who recorded
it), any other — refused or repeated — a CheckinAttempt row with the reason the member was given.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from flask import current_app

from server.audit.services import record_insert
from server.db import core_execute, db, insert_unless_present, keep_on_error, utcnow
from server.errors import AppError, NotFound
from server.meetings.models import (
    Attendance,
    AttendanceStatus,
    CheckinAttempt,
    CheckinMethod,
    Meeting,
    Minutes,
    meeting_participants,
)
from server.members.models import Member
from server.timezone import to_local

EARTH_RADIUS_M = 6_371_000


class Participant(Protocol):
    """A member as check-in sees them: a ``Member`` or the identity read with a bearer token."""

    id: int
    org_id: int
    group_id: int | None


@dataclass(frozen=True)
class MeetingFacts:
    """The meeting's side of a scan: what verifying its code and opening check-in depend on."""

    id: int
    code_secret: str
    organiser_org_id: int
    starts_at: datetime
    checkin_opens_at: datetime
    checkin_closes_at: datetime
    cancelled_at: datetime | None
    geo_lat: float | None
    geo_lng: float | None
    geo_radius_m: int | None


@dataclass(frozen=True)
class Scan:
    """Everything one member's scan at one meeting is decided on, read in a single statement."""

    meeting: MeetingFacts
    member_id: int
    participant: bool
    minutes_finalised: bool
    attendance_id: int | None
    status: AttendanceStatus | None
    checked_in_at: datetime | None


@dataclass(frozen=True)
class CheckinResult:
    status: AttendanceStatus
    checked_in_at: datetime | None
    already: bool

    @property
    def message(self) -> str:
        time = _local(self.checked_in_at).strftime("%H:%M") if self.checked_in_at else ""
        if self.already:
            return f"已于 {time} 签到"
        return "签到成功（迟到）" if self.status is AttendanceStatus.LATE else "签到成功"


def _local(moment: datetime) -> datetime:
    return to_local(moment)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine) between two WGS-84 points, in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _check_open(meeting: MeetingFacts, now: datetime, *, after_close: bool = False) -> None:
    if meeting.cancelled_at is not None:
        raise AppError("meeting_cancelled", "会议已取消")
    if now < meeting.checkin_opens_at:
        opens = _local(meeting.checkin_opens_at)
        raise AppError("checkin_not_open", f"签到尚未开始，将于 {opens:%m月%d日 %H:%M} 开放")
    if now > meeting.checkin_closes_at and not after_close:
        raise AppError("checkin_closed", f"签到已于 {_local(meeting.checkin_closes_at):%m月%d日 %H:%M} 结束")


def _check_location(meeting: MeetingFacts, location: tuple[float, float] | None) -> None:
    if meeting.geo_radius_m is None:
        return
    if location is None:
        raise AppError("location_required", "本次会议需要定位签到，请允许小程序获取位置后重试")
    away = distance_m(meeting.geo_lat, meeting.geo_lng, *location)  # type: ignore[arg-type]
    if away > meeting.geo_radius_m:
        limit = meeting.geo_radius_m
        raise AppError("outside_geofence", f"您不在会场范围内（距会场约 {round(away)} 米，需在 {limit} 米内）")


def _status_at(meeting: MeetingFacts, now: datetime) -> AttendanceStatus:
    late_after = meeting.starts_at + timedelta(minutes=current_app.config["MEETING_LATE_MINUTES"])
    return AttendanceStatus.LATE if now > late_after else AttendanceStatus.PRESENT


_meetings = Meeting.__table__
_attendances = Attendance.__table__
_attempts = CheckinAttempt.__table__

# One statement for the whole decision. Core tables rather than ORM entities: this runs on every scan,
# and at a 2,000-member meeting the ORM's per-statement bookkeeping was most of a check-in's cost.
_SCAN = (
    sa.select(
        _meetings.c.id,
        _meetings.c.code_secret,
        _meetings.c.organiser_org_id,
        _meetings.c.starts_at,
        _meetings.c.checkin_opens_at,
        _meetings.c.checkin_closes_at,
        _meetings.c.cancelled_at,
        _meetings.c.geo_lat,
        _meetings.c.geo_lng,
        _meetings.c.geo_radius_m,
        sa.exists()
        .where(
            meeting_participants.c.meeting_id == _meetings.c.id,
            meeting_participants.c.org_id.in_([sa.bindparam("branch_id"), sa.bindparam("group_id")]),
        )
        .label("participant"),
        sa.exists()
        .where(Minutes.__table__.c.meeting_id == _meetings.c.id, Minutes.__table__.c.finalised_at.is_not(None))
        .label("minutes_finalised"),
        _attendances.c.id.label("attendance_id"),
        _attendances.c.status,
        _attendances.c.checked_in_at,
    )
    .select_from(
        _meetings.outerjoin(
            _attendances,
            sa.and_(_attendances.c.meeting_id == _meetings.c.id, _attendances.c.member_id == sa.bindparam("member_id")),
        )
    )
    .where(_meetings.c.id == sa.bindparam("meeting_id"))
)


def load_scan(meeting_id: int, member: Participant) -> Scan:
    """The meeting, whether the member takes part, and their attendance so far; 404 if no such meeting."""
    params = {"meeting_id": meeting_id, "member_id": member.id, "branch_id": member.org_id, "group_id": member.group_id}
    row = core_execute(_SCAN, params).one_or_none()
    if row is None:
        raise NotFound("会议不存在")
    meeting = MeetingFacts(*row[:10])
    return Scan(
        meeting=meeting,
        member_id=member.id,
        participant=bool(row.participant),
        minutes_finalised=bool(row.minutes_finalised),
        attendance_id=row.attendance_id,
        status=row.status,
        checked_in_at=row.checked_in_at,
    )


_INSERT_ATTEMPT = sa.insert(_attempts)
_ATTENDANCE_OF = sa.select(_attendances.c.status, _attendances.c.checked_in_at).where(
    _attendances.c.meeting_id == sa.bindparam("meeting_id"), _attendances.c.member_id == sa.bindparam("member_id")
)
_INSERT_ATTENDANCE = insert_unless_present(
    _attendances,
    ["meeting_id", "member_id", "status", "method", "checked_in_at", "note", "recorded_by_id"],
    unique=["meeting_id", "member_id"],
    returning="id",
)


def _log(meeting_id: int | None, member_id: int | None, method: CheckinMethod, result: str, detail: str) -> None:
    row = {"meeting_id": meeting_id, "member_id": member_id, "method": method, "result": result, "detail": detail[:200]}
    core_execute(_INSERT_ATTEMPT, {"created_at": utcnow(), **row})


def _check_may_check_in(scan: Scan, method: CheckinMethod, location: tuple[float, float] | None, now: datetime) -> None:
    if scan.minutes_finalised:
        raise AppError("minutes_finalised", "会议纪要已定稿，签到记录不能再更改")
    # The secretary may still record by hand after the window closes (audited, with a reason).
    _check_open(scan.meeting, now, after_close=method is CheckinMethod.MANUAL)
    if not scan.participant:
        raise AppError("not_participant", "您不在本次会议的参会范围内")
    if method is not CheckinMethod.MANUAL:
        _check_location(scan.meeting, location)


def _insert_once(scan: Scan, fields: dict) -> CheckinResult:
    """Create the attendance row unless a concurrent scan by the same member got there first."""
    values = {"meeting_id": scan.meeting.id, "member_id": scan.member_id, **fields}
    created_id = core_execute(_INSERT_ATTENDANCE, values).scalar()
    if created_id is None:
        winner = core_execute(_ATTENDANCE_OF, {"meeting_id": scan.meeting.id, "member_id": scan.member_id}).one()
        return CheckinResult(winner.status, winner.checked_in_at, already=True)
    if fields["method"] is not CheckinMethod.MEETING_CODE:
        # Recorded by the secretary (by hand or scanning the member's code): an admin write, audited.
        # A member's own scan is recorded by the attendance row alone, which keeps 2,000 scans a
        # meeting out of the audit trail secretaries read.
        label = Attendance.label_for(scan.meeting.id, scan.member_id)
        record_insert(Attendance, {"id": created_id, **values}, label=label, org_id=scan.meeting.organiser_org_id)
    return CheckinResult(fields["status"], fields["checked_in_at"], already=False)


def _came_after_leave(attendance_id: int, fields: dict) -> CheckinResult:
    """On leave, but came after all: the leave row becomes a check-in (rare, so the audited ORM way)."""
    attendance = db.session.get_one(Attendance, attendance_id)
    attendance.meeting  # noqa: B018  (loaded so the audit entry names the organisation)
    for key, value in fields.items():
        setattr(attendance, key, value)
    db.session.flush()
    return CheckinResult(attendance.status, attendance.checked_in_at, already=False)


def check_in(
    scan: Scan,
    method: CheckinMethod,
    *,
    location: tuple[float, float] | None = None,
    recorded_by_id: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> CheckinResult:
    """Record that the scanned member is at the meeting; the code, if any, was verified by the caller."""
    now = now or utcnow()
    try:
        if scan.status is not None and scan.status is not AttendanceStatus.LEAVE:
            result = CheckinResult(scan.status, scan.checked_in_at, already=True)
        else:
            _check_may_check_in(scan, method, location, now)
            fields = {
                "status": _status_at(scan.meeting, now),
                "method": method,
                "checked_in_at": now,
                "note": note,
                "recorded_by_id": recorded_by_id,
            }
            if scan.attendance_id is not None:
                result = _came_after_leave(scan.attendance_id, fields)
            else:
                result = _insert_once(scan, fields)
    except AppError as refusal:
        _log(scan.meeting.id, scan.member_id, method, refusal.code, refusal.message)
        keep_on_error()  # the refusal is part of the record
        raise
    if result.already:
        _log(scan.meeting.id, scan.member_id, method, "already_checked_in", result.message)
    return result


def mark_present(meeting: Meeting, member: Member, reason: str, recorded_by_id: int | None) -> CheckinResult:
    """The secretary marks a member present by hand (no smartphone); the reason is kept and audited."""
    if not reason.strip():
        raise AppError("reason_required", "手工签到须填写原因（如：年长党员无智能手机）")
    scan = load_scan(meeting.id, member)
    return check_in(scan, CheckinMethod.MANUAL, recorded_by_id=recorded_by_id, note=reason.strip()[:200])


@dataclass(frozen=True)
class RefusedScan:
    at: datetime
    member_name: str | None  # None when the code could not tell whose scan it was
    method: CheckinMethod
    reason: str


def refused_scans(meeting_id: int, limit: int = 100) -> tuple[int, list[RefusedScan]]:
    """How many scans of this meeting were refused, and the latest ones: whom to help at the door."""
    refused = sa.and_(CheckinAttempt.meeting_id == meeting_id, CheckinAttempt.result != "already_checked_in")
    total = db.session.scalar(sa.select(sa.func.count()).select_from(CheckinAttempt).where(refused)) or 0
    rows = db.session.execute(
        sa.select(CheckinAttempt.created_at, Member.name, CheckinAttempt.method, CheckinAttempt.detail)
        .outerjoin(Member, Member.id == CheckinAttempt.member_id)
        .where(refused)
        .order_by(CheckinAttempt.created_at.desc(), CheckinAttempt.id.desc())
        .limit(limit)
    )
    return total, [RefusedScan(*row) for row in rows]


@contextmanager
def refusals_logged(meeting_id: int | None, member_id: int | None, method: CheckinMethod) -> Iterator[None]:
    """Keep a scan whose code could not even be verified (forged, expired, another meeting's)."""
    try:
        yield
    except AppError as refusal:
        _log(meeting_id, member_id, method, refusal.code, refusal.message)
        keep_on_error()
        raise
