"""Mini-program endpoints: my meetings, scanning the meeting's code, my personal code, secretary scans
and the live list of arrivals, scheduling a meeting from the phone (secretary mode) and my attendance
over a year."""

from __future__ import annotations

from flask import current_app

from server.auth.current import current_identity, current_member, member_required, phone_admin_account
from server.auth.models import AdminUser
from server.errors import NotFound, PermissionDenied
from server.http import ApiBlueprint
from server.meetings import checkin, codes, leave, services
from server.meetings.attendance import member_attendance
from server.meetings.compliance_rules import KIND_ORDER
from server.meetings.models import MEETING_KIND_LABELS, CheckinMethod, Meeting
from server.meetings.schemas import (
    AttendanceYearQuerySchema,
    AttendanceYearSchema,
    CheckinResultSchema,
    CheckinSchema,
    LeaveRequestSchema,
    LeaveSchema,
    LiveListSchema,
    MeetingBriefSchema,
    MeetingCreateSchema,
    MeetingDetailSchema,
    MeetingOptionsSchema,
    MemberCodeSchema,
    ScanMemberSchema,
)
from server.members.services import get_member
from server.timezone import local_today

blp = ApiBlueprint("meetings_api", __name__, url_prefix="/api", description="会议与签到")
BEARER = [{"bearer": []}]


def _result(result: checkin.CheckinResult, member_name: str) -> dict:
    return {
        "ok": True,
        "already": result.already,
        "status": result.status,
        "checked_in_at": result.checked_in_at,
        "message": result.message,
        "member_name": member_name,
    }


def _visible_meeting(meeting_id: int) -> Meeting:
    """A meeting the member at the phone takes part in or runs check-in for; any other is "missing"."""
    member = current_member()
    meeting = services.get_meeting(meeting_id)
    if services.is_participant(meeting, member) or services.secretary_account(phone_admin_account(), meeting):
        return meeting
    raise NotFound(services.MEETING_MISSING)


def _secretary_of(meeting_id: int, refusal: str) -> tuple[Meeting, AdminUser]:
    """The meeting and the admin account through which the member at the phone runs its check-in.

    A participant without that power gets 403 with ``refusal``; anyone else, the missing meeting's 404.
    """
    member = current_member()
    meeting = services.get_meeting(meeting_id)
    secretary = services.secretary_account(phone_admin_account(), meeting)
    if secretary is None:
        if services.is_participant(meeting, member):
            raise PermissionDenied(refusal)
        raise NotFound(services.MEETING_MISSING)
    return meeting, secretary


@blp.route("/meetings", methods=["GET"])
@member_required
@blp.response(200, MeetingBriefSchema(many=True))
@blp.doc(security=BEARER)
def my_meetings():
    """Meetings I take part in, newest first."""
    return services.meetings_of(current_member())


@blp.route("/meetings/<int:meeting_id>", methods=["GET"])
@member_required
@blp.response(200, MeetingDetailSchema)
@blp.doc(security=BEARER)
def meeting_detail(meeting_id: int):
    """One of my meetings, with my attendance and leave request."""
    member = current_member()
    meeting = services.get_meeting(meeting_id)
    secretary = services.secretary_account(phone_admin_account(), meeting)
    if not services.is_participant(meeting, member) and secretary is None:
        raise NotFound(services.MEETING_MISSING)
    meeting.my_attendance = services.attendance_of(meeting, member)
    meeting.my_leave = services.leave_of(meeting, member)
    meeting.can_scan_members = secretary is not None
    meeting.checkin_code_ttl = current_app.config["MEETING_CODE_TTL"]
    return meeting


@blp.route("/meetings/<int:meeting_id>/checkin", methods=["POST"])
@member_required
@blp.arguments(CheckinSchema)
@blp.response(200, CheckinResultSchema)
@blp.doc(security=BEARER)
def check_in(payload: dict, meeting_id: int):
    """Check in by scanning the meeting's live code (from the meeting's page).

    At a fenced meeting send the phone's location (``latitude`` and ``longitude`` together, and
    ``accuracy`` as wx.getLocation gives it). 429 ``too_many_attempts`` after repeated refusals."""
    member = current_identity()
    reading = None
    if payload["latitude"] is not None:
        reading = checkin.Reading(payload["latitude"], payload["longitude"], payload["accuracy"])
    scan = checkin.load_scan(meeting_id, member, reading)
    result = checkin.scan_meeting_code(scan, payload["code"], reading)
    return _result(result, member.name)


@blp.route("/me/checkin-code", methods=["GET"])
@member_required
@blp.response(200, MemberCodeSchema)
@blp.doc(security=BEARER)
def my_checkin_code():
    """My personal check-in code, for the secretary to scan where there is no projector."""
    member = current_identity()
    code = codes.member_code(member.id)
    return {
        "code": code,
        "member_name": member.name,
        "qr_png_base64": codes.qr_png_base64(code),
        "expires_in": current_app.config["MEMBER_CODE_TTL"],
    }


@blp.route("/meetings/<int:meeting_id>/scan-member", methods=["POST"])
@member_required
@blp.arguments(ScanMemberSchema)
@blp.response(200, CheckinResultSchema)
@blp.doc(security=BEARER)
def scan_member(payload: dict, meeting_id: int):
    """Secretary mode: check a member in by scanning the code on their phone."""
    meeting, secretary = _secretary_of(meeting_id, "只有本支部书记或上级党组织管理员可以扫码签到")
    with checkin.refusals_logged(meeting.id, None, CheckinMethod.MEMBER_CODE):
        member_id = codes.verify_member_code(codes.parse(payload["code"]))
    member = get_member(member_id)
    scan = checkin.load_scan(meeting.id, member)
    result = checkin.check_in(scan, CheckinMethod.MEMBER_CODE, recorded_by_id=secretary.id)
    return _result(result, member.name)


@blp.route("/meetings/<int:meeting_id>/arrivals", methods=["GET"])
@member_required
@blp.response(200, LiveListSchema)
@blp.doc(security=BEARER)
def arrivals(meeting_id: int):
    """Secretary mode: who has come so far, newest first, and who has not; polled every 3 s by the scan page."""
    meeting, _ = _secretary_of(meeting_id, "只有本支部书记或上级党组织管理员可以查看签到情况")
    return services.live_list(meeting, names_shown=services.LIVE_NAMES_SHOWN)


@blp.route("/meetings/<int:meeting_id>/leave", methods=["POST"])
@member_required
@blp.arguments(LeaveRequestSchema)
@blp.response(201, LeaveSchema)
@blp.doc(security=BEARER)
def ask_for_leave(payload: dict, meeting_id: int):
    """Ask for leave before the meeting; the secretary approves or refuses."""
    return leave.request_leave(_visible_meeting(meeting_id), current_member(), payload["reason"])


@blp.route("/meetings/options", methods=["GET"])
@member_required
@blp.response(200, MeetingOptionsSchema)
@blp.doc(security=BEARER)
def meeting_options():
    """Secretary mode: what the 安排会议 form offers. 403 for members who may not schedule meetings,
    which is how the mini-program decides whether to show the button."""
    member = current_member()
    branch = services.planning_branch(services.planning_account(phone_admin_account()), member)
    kinds = [{"value": kind, "label": MEETING_KIND_LABELS[kind]} for kind in KIND_ORDER]
    return {"branch": branch, "groups": services.groups_of(branch), "kinds": kinds}


@blp.route("/meetings", methods=["POST"])
@member_required
@blp.arguments(MeetingCreateSchema)
@blp.response(201, MeetingBriefSchema)
@blp.doc(security=BEARER)
def create_meeting(payload: dict):
    """Secretary mode: schedule a meeting from the phone, with the same rules as the admin's form.

    Recorded as created by the secretary's admin account, and audited as that account acting from the
    mini-program.
    """
    return services.plan_meeting(services.planning_account(phone_admin_account()), payload)


@blp.route("/me/attendance", methods=["GET"])
@member_required
@blp.arguments(AttendanceYearQuerySchema, location="query")
@blp.response(200, AttendanceYearSchema)
@blp.doc(security=BEARER)
def my_attendance(query: dict):
    """My attendance in a calendar year (Beijing time; this year by default) over meetings that have ended."""
    year = query["year"] or local_today().year
    return member_attendance(current_member(), year)
