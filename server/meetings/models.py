"""Meetings, who takes part, attendance, leave, and minutes that cannot be rewritten."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.audit.services import org_id_of
from server.db import UTCDateTime, db, utcnow
from server.orgs.models import Organisation, enum_column

if TYPE_CHECKING:
    from server.auth.models import AdminUser


#: the answer for a meeting that does not exist, and for one outside the caller's scope
MEETING_MISSING = "会议不存在"


class MeetingKind(enum.StrEnum):
    BRANCH_ASSEMBLY = "branch_assembly"
    BRANCH_COMMITTEE = "branch_committee"
    GROUP_MEETING = "group_meeting"
    PARTY_LECTURE = "party_lecture"
    THEME_DAY = "theme_day"
    LIFE_MEETING = "life_meeting"
    HEART_TALK = "heart_talk"
    OTHER = "other"


MEETING_KIND_LABELS = {
    MeetingKind.BRANCH_ASSEMBLY: "支部党员大会",
    MeetingKind.BRANCH_COMMITTEE: "支部委员会",
    MeetingKind.GROUP_MEETING: "党小组会",
    MeetingKind.PARTY_LECTURE: "党课",
    MeetingKind.THEME_DAY: "主题党日",
    MeetingKind.LIFE_MEETING: "组织生活会",
    MeetingKind.HEART_TALK: "谈心谈话",
    MeetingKind.OTHER: "其他",
}


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    LEAVE = "leave"


ATTENDANCE_STATUS_LABELS = {
    AttendanceStatus.PRESENT: "已到",
    AttendanceStatus.LATE: "迟到",
    AttendanceStatus.LEAVE: "请假",
}


class CheckinMethod(enum.StrEnum):
    MEETING_CODE = "meeting_code"  # the member scanned the projected code
    MEMBER_CODE = "member_code"  # the secretary scanned the member's code
    MANUAL = "manual"  # marked by the secretary, with a reason


class CheckinFlag(enum.StrEnum):
    """Why a member's own scan at a fenced meeting deserves the secretary's look (stored on the attendance)."""

    SAME_LOCATION = "same_location"  # another member checked in from exactly the same coordinates
    FENCE_CENTRE = "fence_centre"  # within a few metres of the point the secretary set: typed in, not measured
    NO_ACCURACY = "no_accuracy"  # the phone gave coordinates without wx.getLocation's accuracy figure
    AFTER_REFUSALS = "after_refusals"  # accepted after refused scans at this meeting (guessed coordinates?)


CHECKIN_FLAG_LABELS = {
    CheckinFlag.SAME_LOCATION: "与其他党员的定位完全相同",
    CheckinFlag.FENCE_CENTRE: "定位恰在会场中心点，可能是手动输入的位置",
    CheckinFlag.NO_ACCURACY: "手机未提供定位精度",
    CheckinFlag.AFTER_REFUSALS: "签到前扫码曾被拒绝（如不在会场范围内）",
}


def parse_flags(flags: str) -> list[CheckinFlag]:
    """The marks stored with an attendance row (``Attendance.flags``), in the order they were raised."""
    return [CheckinFlag(flag) for flag in flags.split()]


class LeaveStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


LEAVE_STATUS_LABELS = {LeaveStatus.PENDING: "待审批", LeaveStatus.APPROVED: "已准假", LeaveStatus.REFUSED: "未准假"}


class Meeting(db.Model):
    __tablename__ = "meetings"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("checkin_closes_at > checkin_opens_at", name="checkin_window_positive"),
        sa.CheckConstraint(
            "(geo_lat IS NULL AND geo_lng IS NULL AND geo_radius_m IS NULL)"
            " OR (geo_lat BETWEEN -90 AND 90 AND geo_lng BETWEEN -180 AND 180 AND geo_radius_m > 0)",
            name="geofence_complete",
        ),
        sa.CheckConstraint(
            "backfill_reason IS NULL OR length(trim(backfill_reason)) >= 2", name="backfill_reason_not_blank"
        ),
        # A 补录 is of a meeting already over when it was entered: its check-in had closed before anyone
        # could scan, so its attendance can only be entered by hand.
        sa.CheckConstraint(
            "backfill_reason IS NULL OR (ends_at <= created_at AND checkin_closes_at <= created_at)",
            name="backfill_over_when_entered",
        ),
        sa.Index("ix_meetings_org_starts", "organiser_org_id", "starts_at"),
    )
    __audited__ = True
    __audit_entity__ = "meeting"
    __audit_ignore__ = ("code_secret",)
    __audit_collections__ = ("participant_orgs",)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: 支部党员大会, 党课, …
    kind: Mapped[MeetingKind] = mapped_column(enum_column(MeetingKind, "meeting_kind"))
    #: title members see, e.g. "十一月主题党日：学习二十届四中全会精神"
    title: Mapped[str] = mapped_column(sa.String(100))
    #: the organisation holding it (whose compliance it counts for)
    organiser_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: scheduled start (UTC)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: scheduled end (UTC)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: where, as members read it
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    #: optional geofence centre latitude (WGS-84 as wx.getLocation returns with type "wgs84")
    geo_lat: Mapped[float | None] = mapped_column(sa.Float)
    #: optional geofence centre longitude
    geo_lng: Mapped[float | None] = mapped_column(sa.Float)
    #: optional geofence radius in metres
    geo_radius_m: Mapped[int | None]
    #: check-in accepted from (UTC)
    checkin_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: check-in accepted until (UTC); later scans are refused
    checkin_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: random per meeting; the rotating check-in codes are signed with it
    code_secret: Mapped[str] = mapped_column(sa.String(64))
    #: 现场核验: only the secretary's scan of a member's personal code (or a hand entry) records presence;
    #: members' own scans of the projected code are refused
    strict_checkin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: set when cancelled; cancelled meetings keep their row
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: admin who scheduled it
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: when it was scheduled (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the day-before reminder fell due and was queued; each member's is in meeting_reminders
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why a meeting held on paper was recorded afterwards (补录); null for a meeting scheduled on time
    backfill_reason: Mapped[str | None] = mapped_column(sa.String(200))

    organiser: Mapped[Organisation] = relationship()
    participant_orgs: Mapped[list[Organisation]] = relationship(secondary="meeting_participants")
    created_by: Mapped[AdminUser | None] = relationship()

    @property
    def backfilled(self) -> bool:
        """Recorded afterwards as 补录, not scheduled before it was held."""
        return self.backfill_reason is not None

    def audit_label(self) -> str:
        return self.title

    def audit_org_id(self) -> int | None:
        return self.organiser_org_id


meeting_participants = sa.Table(
    "meeting_participants",
    db.metadata,
    #: the meeting
    sa.Column("meeting_id", sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
    #: a branch, a party group, or one of several branches of a joint lecture
    sa.Column("org_id", sa.ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True),
    # "Which meetings did this branch take part in?" is the compliance report's main question.
    sa.Index("ix_meeting_participants_org", "org_id"),
)


class MeetingMemberAudit:
    """How the audit trail names a row about one member at one meeting (attendance, leave)."""

    meeting_id: int
    member_id: int
    meeting: Meeting

    @staticmethod
    def label_for(meeting_id: int, member_id: int) -> str:
        return f"meeting #{meeting_id} member #{member_id}"

    def audit_label(self) -> str:
        return self.label_for(self.meeting_id, self.member_id)

    def audit_org_id(self) -> int | None:
        return org_id_of(self, Meeting.organiser_org_id, self.meeting_id)


class Attendance(MeetingMemberAudit, db.Model):
    """One member's attendance at one meeting: present, late or on leave. No row means absent."""

    __tablename__ = "attendances"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "member_id", name="uq_attendances_meeting_member"),
        # "Did anyone check in from exactly these coordinates?", asked by every check-in at a fenced
        # meeting; partial, so meetings without a fence add nothing to it.
        sa.Index(
            "ix_attendances_meeting_location",
            "meeting_id",
            "geo_lat",
            "geo_lng",
            postgresql_where=sa.text("geo_lat IS NOT NULL"),
            sqlite_where=sa.text("geo_lat IS NOT NULL"),
        ),
    )
    __audited__ = True
    __audit_entity__ = "attendance"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the meeting
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    #: the member
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    #: present, late or on leave
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus, "attendance_status"))
    #: how it was recorded
    method: Mapped[CheckinMethod] = mapped_column(enum_column(CheckinMethod, "checkin_method"))
    #: when the member was checked in (UTC); null for leave
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why the secretary recorded it by hand
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    #: admin who recorded it, for manual entries and scans of member codes
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: where the member's phone said it was, for their own scan at a fenced meeting (WGS-84)
    geo_lat: Mapped[float | None] = mapped_column(sa.Float)
    #: longitude of the same
    geo_lng: Mapped[float | None] = mapped_column(sa.Float)
    #: space-separated ``CheckinFlag`` values the secretary should look at; empty for most
    flags: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")

    meeting: Mapped[Meeting] = relationship()

    @property
    def flag_list(self) -> list[CheckinFlag]:
        return parse_flags(self.flags)


class ReminderOutcome(enum.StrEnum):
    SENDING = "sending"  # claimed, and being sent; left so by a worker that died: then never sent again
    SENT = "sent"
    NOT_SUBSCRIBED = "not_subscribed"  # the member gave no consent (or has used it up)
    FAILED = "failed"  # WeChat refused this message for good
    UNCERTAIN = "uncertain"  # WeChat did not say: it may have arrived, so it is not sent again


class MeetingReminder(db.Model):
    """One member's day-before reminder of one meeting, claimed before it is sent: never two per round.

    A round starts when the reminder falls due (``Meeting.reminder_sent_at``); moving the meeting
    starts a new one. A member with no row in the current round is still to be reminded.
    """

    __tablename__ = "meeting_reminders"

    #: the meeting
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    #: the round: the meeting's reminder_sent_at when this reminder fell due
    round_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    #: the member reminded
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    #: what became of it
    outcome: Mapped[ReminderOutcome] = mapped_column(enum_column(ReminderOutcome, "reminder_outcome"))
    #: when the outcome was recorded (UTC)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckinAttempt(db.Model):
    """A scan that did not check the member in — refused, or repeated — with the reason they were given.

    Accepted scans are recorded by their attendance row; together the two account for every scan.
    """

    __tablename__ = "checkin_attempts"
    __table_args__ = (
        sa.Index("ix_checkin_attempts_meeting", "meeting_id", "created_at"),
        # One member's recent refusals at one meeting: counted on every scan (the limit on guessing).
        sa.Index("ix_checkin_attempts_member", "member_id", "meeting_id", "created_at"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the meeting the code named, if it could be read
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    #: the member checking in, if known
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    #: "already_checked_in", or the refusal code ("code_expired", "outside_geofence", …)
    result: Mapped[str] = mapped_column(sa.String(32))
    #: the Chinese message given; for a geofence refusal, what the secretary reads: the distance, which
    #: the member is not told
    detail: Mapped[str] = mapped_column(sa.String(200), default="")
    #: how the scan came in
    method: Mapped[CheckinMethod] = mapped_column(enum_column(CheckinMethod, "checkin_method"))
    #: when (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LeaveRequest(MeetingMemberAudit, db.Model):
    """A member asks for leave before the meeting; the secretary approves or refuses."""

    __tablename__ = "leave_requests"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "member_id", name="uq_leave_requests_meeting_member"),)
    __audited__ = True
    __audit_entity__ = "leave_request"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the meeting
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    #: who asks
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    #: why, in the member's words
    reason: Mapped[str] = mapped_column(sa.String(200))
    #: pending, approved or refused
    status: Mapped[LeaveStatus] = mapped_column(enum_column(LeaveStatus, "leave_status"), default=LeaveStatus.PENDING)
    #: admin who decided
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: when decided (UTC)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when asked (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship()


class Minutes(db.Model):
    """The record of a held meeting. Editable until finalised; after that only amendments are added."""

    __tablename__ = "minutes"
    __audited__ = True
    __audit_entity__ = "minutes"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the meeting recorded
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    #: the organisation whose chain this record joins (the organiser)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: 主题
    topic: Mapped[str] = mapped_column(sa.String(200), default="")
    #: 内容
    content: Mapped[str] = mapped_column(sa.Text, default="")
    #: 决议
    decisions: Mapped[str] = mapped_column(sa.Text, default="")
    #: when locked (UTC); null while still a draft
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: SHA-256 over the finalised content and attendance, chained to ``prev_hash``
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    #: hash of the organisation's previous finalised record (or of its previous amendment)
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))

    def audit_label(self) -> str:
        return self.topic or f"meeting #{self.meeting_id}"

    def audit_org_id(self) -> int | None:
        return self.org_id


class MinutesAmendment(db.Model):
    """A correction to finalised minutes: appended with a reason, never an edit."""

    __tablename__ = "minutes_amendments"
    __audited__ = True
    __audit_entity__ = "minutes_amendment"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the minutes corrected
    minutes_id: Mapped[int] = mapped_column(sa.ForeignKey("minutes.id", ondelete="CASCADE"), index=True)
    #: why the correction was needed
    reason: Mapped[str] = mapped_column(sa.String(200))
    #: the correction itself
    content: Mapped[str] = mapped_column(sa.Text)
    #: admin who added it
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: when (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: SHA-256 over this amendment, chained to ``prev_hash``
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    #: hash of what came before it in the organisation's chain
    prev_hash: Mapped[str] = mapped_column(sa.String(64))

    def audit_label(self) -> str:
        return self.reason

    def audit_org_id(self) -> int | None:
        return org_id_of(self, Minutes.org_id, self.minutes_id)


class MinutesPhoto(db.Model):
    """A photo of the meeting attached to its minutes (size and type checked on upload)."""

    __tablename__ = "minutes_photos"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the minutes
    minutes_id: Mapped[int] = mapped_column(sa.ForeignKey("minutes.id", ondelete="CASCADE"), index=True)
    #: original file name
    filename: Mapped[str] = mapped_column(sa.String(200))
    #: image/jpeg or image/png
    content_type: Mapped[str] = mapped_column(sa.String(32))
    #: bytes
    size: Mapped[int]
    #: SHA-256 of the bytes, part of the minutes' hash once finalised
    sha256: Mapped[str] = mapped_column(sa.String(64))
    #: the image
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    #: when uploaded (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
