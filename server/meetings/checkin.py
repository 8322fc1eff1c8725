"""Checking in: one transaction, idempotent, every refusal explained and logged (after pretix's care).

A scan either creates the member's attendance row or finds the one already there ("已于 08:58 签到");
the unique (meeting, member) constraint decides between concurrent scans, so 50 taps at once still
leave one row. A scan leaves a row: an accepted one its attendance row (time, method, who recorded
it), any other — refused or repeated — a CheckinAttempt row with the reason the member was given, except
the two kinds below that must not fill the meeting's list.

A member's own scan of the projected code is judged in the order that gives away least:

1. a member who does not take part gets "您不在本次会议的参会范围内" before anything else is looked at,
   and leaves no row: a member of another branch learns nothing about the meeting (its code, times or
   fence) and cannot fill the list its secretary reads at the door;
2. after ``CHECKIN_MAX_REFUSALS`` refused scans within ``CHECKIN_REFUSAL_WINDOW_MINUTES`` the answer is
   "尝试次数过多" whatever was sent, so coordinates cannot be found by guessing (these answers leave no
   row either: the refusals that led there are listed, and a flood must not grow the table);
3. then the code, the meeting's state, 现场核验 (a member's own scan does not count) and the fence, whose
   refusal never tells the member how far off they are (the secretary's list does).

An accepted scan at a fenced meeting keeps the coordinates and the marks (``CheckinFlag``) a secretary
should look at. None of this is proof: in a meeting that must be proof, 现场核验 is.

A check-in and an edit of the meeting's participants cannot cross: every check-in first takes a shared
lock on the meeting row, an edit an exclusive one before it re-reads attendance (``hold_check_ins``).
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
from server.meetings import codes
from server.meetings.models import (
    MEETING_MISSING,
    Attendance,
    AttendanceStatus,
    CheckinAttempt,
    CheckinFlag,
    CheckinMethod,
    Meeting,
    Minutes,
    meeting_participants,
)
from server.members.models import Member
from server.observability import metrics
from server.timezone import to_local

EARTH_RADIUS_M = 6_371_000
#: Coordinates this close to the fence's centre were most likely typed in, not measured.
FENCE_CENTRE_M = 5
#: Refusals that count towards the limit on guessing: the member's own doing, not the meeting's state.
COUNTED_REFUSALS = ("outside_geofence", "code_expired", "code_forged", "code_invalid", "wrong_meeting")
NOT_PARTICIPANT = "您不在本次会议的参会范围内"


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
    strict_checkin: bool


@dataclass(frozen=True)
class Reading:
    """Where the member's phone says it is (WGS-84, from wx.getLocation) and how sure it is, in metres."""

    lat: float
    lng: float
    accuracy_m: float | None = None


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
    #: this member's refusals at this meeting that count towards the limit, within the window
    recent_refusals: int = 0
    #: another member checked in from exactly the reading's coordinates
    same_location: bool = False


class _Refusal(AppError):
    """A refusal whose record for the secretary says more than the member is told."""

    def __init__(self, code: str, message: str, *, for_the_record: str) -> None:
        super().__init__(code, message)
        self.for_the_record = for_the_record


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


def _check_location(meeting: MeetingFacts, reading: Reading | None) -> float | None:
    """How far the reading is from the fence's centre, in metres; None when the meeting has no fence."""
    if meeting.geo_radius_m is None:
        return None
    if reading is None:
        raise AppError("location_required", "本次会议需要定位签到，请允许小程序获取位置后重试")
    away = distance_m(meeting.geo_lat, meeting.geo_lng, reading.lat, reading.lng)  # type: ignore[arg-type]
    if away > meeting.geo_radius_m:
        # Neither distance nor direction for the member: three answers with a distance locate the venue.
        raise _Refusal(
            "outside_geofence",
            "您不在会场范围内，请到会场后再扫码签到",
            for_the_record=f"不在会场范围内（距会场约 {round(away)} 米，需在 {meeting.geo_radius_m} 米内）",
        )
    return away


def _status_at(meeting: MeetingFacts, now: datetime) -> AttendanceStatus:
    late_after = meeting.starts_at + timedelta(minutes=current_app.config["MEETING_LATE_MINUTES"])
    return AttendanceStatus.LATE if now > late_after else AttendanceStatus.PRESENT


_meetings = Meeting.__table__
_attendances = Attendance.__table__
_attempts = CheckinAttempt.__table__
_others = _attendances.alias("others")

# The lock every check-in takes first, as a statement of its own so that the decision statement after it
# reads what an edit holding the meeting committed (PostgreSQL's READ COMMITTED takes a fresh snapshot per
# statement; a lock inside the decision statement would re-read the meeting row but not its participants).
# FOR KEY SHARE: check-ins share it with each other and with the foreign-key checks of their own INSERT
# (which take the same lock anyway); only an edit's FOR UPDATE waits for them, or makes them wait.
_SHARE_LOCK = (
    sa.select(_meetings.c.id)
    .where(_meetings.c.id == sa.bindparam("meeting_id"))
    .with_for_update(read=True, key_share=True)
)
_EXCLUSIVE_LOCK = sa.select(_meetings.c.id).where(_meetings.c.id == sa.bindparam("meeting_id")).with_for_update()
# SQLite has no row locks and one writer: a write that changes nothing takes the writer's lock. pysqlite
# runs the SELECTs before a transaction's first write outside it, so without this a check-in's decision
# could read the participants before an edit commits and insert after.
_WRITE_LOCK = (
    sa.update(_meetings).where(_meetings.c.id == sa.bindparam("meeting_id")).values(code_secret=_meetings.c.code_secret)
)


def _lock_meeting(meeting_id: int, *, exclusive: bool) -> None:
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_EXCLUSIVE_LOCK if exclusive else _SHARE_LOCK, {"meeting_id": meeting_id})
    else:
        connection.execute(_WRITE_LOCK, {"meeting_id": meeting_id})


def hold_check_ins(meeting_id: int) -> None:
    """Wait for the meeting's check-ins under way and hold new ones until this transaction ends.

    For an edit that changes who takes part or when the meeting starts: taken before it re-reads attendance,
    so a check-in either committed before (and the edit sees it) or decides after (and sees the edit).
    """
    _lock_meeting(meeting_id, exclusive=True)


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
        _meetings.c.strict_checkin,
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
        sa.select(sa.func.count())
        .select_from(_attempts)
        .where(
            _attempts.c.member_id == sa.bindparam("member_id"),
            _attempts.c.meeting_id == _meetings.c.id,
            _attempts.c.created_at >= sa.bindparam("refusals_since"),
            # Literal values: an IN list of bound parameters would be expanded again on every scan.
            _attempts.c.result.in_([sa.literal_column(f"'{result}'") for result in COUNTED_REFUSALS]),
        )
        .scalar_subquery()
        .label("recent_refusals"),
        # Null coordinates (no reading) compare as unknown: false.
        sa.exists()
        .where(
            _others.c.meeting_id == _meetings.c.id,
            _others.c.geo_lat == sa.bindparam("lat"),
            _others.c.geo_lng == sa.bindparam("lng"),
            _others.c.member_id != sa.bindparam("member_id"),
        )
        .label("same_location"),
    )
    .select_from(
        _meetings.outerjoin(
            _attendances,
            sa.and_(_attendances.c.meeting_id == _meetings.c.id, _attendances.c.member_id == sa.bindparam("member_id")),
        )
    )
    .where(_meetings.c.id == sa.bindparam("meeting_id"))
)


def load_scan(meeting_id: int, member: Participant, reading: Reading | None = None) -> Scan:
    """The meeting, whether the member takes part, and their attendance so far; 404 if no such meeting.

    Takes the meeting's shared lock first (see ``hold_check_ins``), so it belongs at the start of the
    transaction that records the check-in.
    """
    _lock_meeting(meeting_id, exclusive=False)
    window = timedelta(minutes=current_app.config["CHECKIN_REFUSAL_WINDOW_MINUTES"])
    params = {
        "meeting_id": meeting_id,
        "member_id": member.id,
        "branch_id": member.org_id,
        "group_id": member.group_id,
        "refusals_since": utcnow() - window,
        "lat": reading.lat if reading else None,
        "lng": reading.lng if reading else None,
    }
    row = core_execute(_SCAN, params).one_or_none()
    if row is None:
        raise NotFound("会议不存在")
    meeting = MeetingFacts(*row[:11])
    return Scan(
        meeting=meeting,
        member_id=member.id,
        participant=bool(row.participant),
        minutes_finalised=bool(row.minutes_finalised),
        attendance_id=row.attendance_id,
        status=row.status,
        checked_in_at=row.checked_in_at,
        recent_refusals=row.recent_refusals,
        same_location=bool(row.same_location),
    )


_INSERT_ATTEMPT = sa.insert(_attempts)
_ATTENDANCE_OF = sa.select(_attendances.c.status, _attendances.c.checked_in_at).where(
    _attendances.c.meeting_id == sa.bindparam("meeting_id"), _attendances.c.member_id == sa.bindparam("member_id")
)
_INSERT_ATTENDANCE = insert_unless_present(
    _attendances,
    [
        "meeting_id",
        "member_id",
        "status",
        "method",
        "checked_in_at",
        "note",
        "recorded_by_id",
        "geo_lat",
        "geo_lng",
        "flags",
    ],
    unique=["meeting_id", "member_id"],
    returning="id",
)
# A check-in from coordinates another member already sent marks every check-in from them, itself included
# (rare: one more statement).
_MARK_SAME_LOCATION = (
    sa.update(_attendances)
    .where(
        _attendances.c.meeting_id == sa.bindparam("at_meeting"),
        _attendances.c.geo_lat == sa.bindparam("lat"),
        _attendances.c.geo_lng == sa.bindparam("lng"),
        _attendances.c.flags.not_like(f"%{CheckinFlag.SAME_LOCATION}%"),
    )
    .values(flags=sa.func.trim(_attendances.c.flags + f" {CheckinFlag.SAME_LOCATION}"))
)


def _log(meeting_id: int | None, member_id: int | None, method: CheckinMethod, refusal: AppError | str) -> None:
    if isinstance(refusal, AppError):
        result, detail = refusal.code, getattr(refusal, "for_the_record", refusal.message)
    else:
        result, detail = "already_checked_in", refusal
    row = {"meeting_id": meeting_id, "member_id": member_id, "method": method, "result": result, "detail": detail[:200]}
    core_execute(_INSERT_ATTEMPT, {"created_at": utcnow(), **row})
    metrics.count_checkin(method.value, result)


def _check_may_check_in(scan: Scan, method: CheckinMethod, reading: Reading | None, now: datetime) -> float | None:
    """Refuse what may not be recorded; for a member's own scan at a fenced meeting, the distance to its centre."""
    if scan.minutes_finalised:
        raise AppError("minutes_finalised", "会议纪要已定稿，签到记录不能再更改")
    # The secretary may still record by hand after the window closes (audited, with a reason).
    _check_open(scan.meeting, now, after_close=method is CheckinMethod.MANUAL)
    if not scan.participant:
        raise AppError("not_participant", NOT_PARTICIPANT)
    if method is not CheckinMethod.MEETING_CODE:
        return None  # the secretary is in the room with the member: no location asked of anyone
    if scan.meeting.strict_checkin:
        raise AppError(
            "strict_checkin",
            "本次会议为现场核验签到，扫描大屏二维码不算签到。请打开“签到码”页，出示您的个人签到码，由书记扫码签到",
        )
    return _check_location(scan.meeting, reading)


def _where_from(scan: Scan, reading: Reading | None, away: float | None) -> dict:
    """The coordinates and marks kept with a member's own check-in at a fenced meeting (none elsewhere)."""
    if reading is None or away is None:
        return {"geo_lat": None, "geo_lng": None, "flags": ""}
    # SAME_LOCATION is not raised here: _MARK_SAME_LOCATION marks this row with the earlier ones.
    flags = [
        flag
        for flag, raised in (
            (CheckinFlag.FENCE_CENTRE, away <= FENCE_CENTRE_M),
            (CheckinFlag.NO_ACCURACY, reading.accuracy_m is None),
            (CheckinFlag.AFTER_REFUSALS, scan.recent_refusals > 0),
        )
        if raised
    ]
    return {"geo_lat": reading.lat, "geo_lng": reading.lng, "flags": " ".join(flags)}


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


def scan_meeting_code(
    scan: Scan, code: str, reading: Reading | None = None, *, now: datetime | None = None
) -> CheckinResult:
    """A member's own scan of the projected code, judged in the order that gives away least (module doc)."""
    if not scan.participant:
        raise NotFound(MEETING_MISSING)  # not theirs: as if it did not exist (server/auth/scope.py)
    if scan.recent_refusals >= current_app.config["CHECKIN_MAX_REFUSALS"]:
        raise AppError("too_many_attempts", "尝试次数过多，请稍后再试", status=429)
    with refusals_logged(scan.meeting.id, scan.member_id, CheckinMethod.MEETING_CODE):
        codes.verify_meeting_code(codes.parse(code), scan.meeting)
    return check_in(scan, CheckinMethod.MEETING_CODE, reading=reading, now=now)


def check_in(
    scan: Scan,
    method: CheckinMethod,
    *,
    reading: Reading | None = None,
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
            away = _check_may_check_in(scan, method, reading, now)
            fields = {
                "status": _status_at(scan.meeting, now),
                "method": method,
                "checked_in_at": now,
                "note": note,
                "recorded_by_id": recorded_by_id,
                **_where_from(scan, reading, away),
            }
            if scan.attendance_id is not None:
                result = _came_after_leave(scan.attendance_id, fields)
            else:
                result = _insert_once(scan, fields)
            if scan.same_location and fields["geo_lat"] is not None:
                where = {"at_meeting": scan.meeting.id, "lat": fields["geo_lat"], "lng": fields["geo_lng"]}
                core_execute(_MARK_SAME_LOCATION, where)
    except AppError as refusal:
        _log(scan.meeting.id, scan.member_id, method, refusal)
        keep_on_error()  # the refusal is part of the record
        raise
    if result.already:
        _log(scan.meeting.id, scan.member_id, method, result.message)
    else:
        metrics.count_checkin(method.value, "checked_in")
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
        .outerjoin(Member)  # on the one foreign key, member_id
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
        _log(meeting_id, member_id, method, refusal)
        keep_on_error()
        raise
