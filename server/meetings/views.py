"""Admin pages of meetings: list, schedule, attendance, leave, manual check-in, and the live screen."""

from __future__ import annotations

import calendar
import io
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, send_file, url_for
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from server.admin.access import YEARS, admin_required, writer_required
from server.auth.scope import MEMBER_MISSING, in_scope, require_org
from server.db import db, utcnow
from server.errors import AppError, NotFound
from server.http import translate
from server.meetings import backfill, checkin, codes, leave, services
from server.meetings.forms import ManualCheckinSchema, MeetingFormSchema
from server.meetings.models import CHECKIN_FLAG_LABELS, MEETING_KIND_LABELS, LeaveRequest, LeaveStatus, Meeting
from server.members.models import Member
from server.orgs import services as org_services
from server.orgs.models import Organisation, OrgKind
from server.timezone import display_zone
from server.wechat import get_wechat

bp = Blueprint("meetings", __name__, url_prefix="/admin/meetings", template_folder="templates")


def _meeting(meeting_id: int, *, write: bool = False) -> Meeting:
    meeting = services.get_meeting(meeting_id)
    require_org(g.admin, meeting.organiser, write=write, missing=services.MEETING_MISSING)
    return meeting


def _orgs_for_meetings() -> list[Organisation]:
    query = org_services.live_orgs_under(g.admin.scope_path).where(
        Organisation.kind.in_([OrgKind.BRANCH, OrgKind.GROUP])
    )
    return list(db.session.scalars(query.order_by(org_services.tree_order())))


@bp.route("/")
@admin_required
def index():
    query = sa.select(Meeting).where(in_scope(Meeting.organiser_org_id, g.admin)).order_by(Meeting.starts_at.desc())
    meetings = db.session.scalars(query.limit(100)).all()
    return render_template("meetings/list.html", meetings=meetings, kinds=MEETING_KIND_LABELS, now=utcnow())


@bp.route("/calendar")
@admin_required
def calendar_view():
    """A month at a glance: which meetings fall on which day (Beijing time)."""
    zone = display_zone()
    today = utcnow().astimezone(zone).date()
    try:
        year, month = (int(part) for part in request.args.get("month", f"{today:%Y-%m}").split("-"))
        if year not in YEARS:
            raise ValueError
        first = date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1)
    start_utc = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end_utc = datetime.combine(last, datetime.min.time(), tzinfo=zone)
    meetings = db.session.scalars(
        sa.select(Meeting)
        .where(in_scope(Meeting.organiser_org_id, g.admin), Meeting.starts_at >= start_utc, Meeting.starts_at < end_utc)
        .order_by(Meeting.starts_at)
    ).all()
    by_day: dict[date, list[Meeting]] = {}
    for meeting in meetings:
        by_day.setdefault(meeting.starts_at.astimezone(zone).date(), []).append(meeting)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return render_template(
        "meetings/calendar.html",
        weeks=weeks,
        by_day=by_day,
        first=first,
        previous=(first - timedelta(days=1)).strftime("%Y-%m"),
        following=last.strftime("%Y-%m"),
        kinds=MEETING_KIND_LABELS,
        today=today,
    )


def _read_meeting_form(schema: MeetingFormSchema) -> tuple[dict | None, dict]:
    """The posted meeting form as data, or the Chinese errors per field."""
    raw = {key: value for key, value in request.form.items() if value.strip() and key != "csrf_token"}
    raw["participant_ids"] = request.form.getlist("participant_ids")
    try:
        return schema.load(raw), {}
    except ValidationError as exc:
        return None, translate(exc.messages)


def _participants_in_scope(org_ids: list[int], already: Iterable[Organisation] = ()) -> list[Organisation]:
    """The chosen orgs; new ones must be inside the admin's subtree. Those already taking part may stay,
    so a branch secretary editing a joint lecture keeps the other branches a committee admin invited."""
    kept = {org.id: org for org in already}
    return [kept.get(org_id) or require_org(g.admin, org_services.get_org(org_id)) for org_id in org_ids]


#: Fields the meeting form shows an error beside; the edit form has no organiser.
_FORM_FIELDS = frozenset(
    {"kind", "title", "organiser_id", "participant_ids", "day", "starts", "ends", "place", "geo_lat", "geo_lng"}
    | {"geo_radius_m", "backfill_reason"}
)


def _shown_errors(errors: dict, meeting: Meeting | None) -> dict:
    """Errors for fields the form does not show go to the top, so no refusal is ever silent."""
    shown = set(_FORM_FIELDS)
    if meeting is not None:  # the edit form has no organiser, and an on-time meeting no 补录 reason
        shown -= {"organiser_id"} if meeting.backfilled else {"organiser_id", "backfill_reason"}
    placed = {key: messages for key, messages in errors.items() if key in shown or key == "_schema"}
    stray = [f"{key}：{message}" for key, messages in errors.items() if key not in placed for message in messages]
    if stray:
        placed["_schema"] = [*placed.get("_schema", []), *stray]
    return placed


def _render_form(form, errors: dict, meeting: Meeting | None = None, *, start_fixed: str | None = None):
    errors = _shown_errors(errors, meeting)
    orgs = _orgs_for_meetings()
    if meeting is not None:  # keep current participants choosable even if outside the subtree or dissolved
        orgs += [org for org in meeting.participant_orgs if org not in orgs]
    return render_template(
        "meetings/form.html",
        form=form,
        errors=errors,
        meeting=meeting,
        start_fixed=start_fixed,
        kinds=MEETING_KIND_LABELS,
        orgs=orgs,
    ), (422 if errors else 200)


#: Next to which field of the form each refusal is shown; the rest go above the form.
_REFUSAL_FIELDS = {
    "invalid_time": "ends",
    "already_checked_in": "starts",
    "leave_approved": "starts",
    "start_passed": "starts",
    "invalid_participants": "participant_ids",
    "participant_has_attendance": "participant_ids",
    "participant_has_pending_leave": "participant_ids",
    "invalid_geofence": "geo_radius_m",
    "backfill_fixed": "backfill_reason",
    "backfill_reason_length": "backfill_reason",
    "backfill_not_over": "backfill_reason",
}


@bp.route("/new", methods=["GET", "POST"])
@writer_required
def create():
    errors: dict = {}
    if request.method == "POST":
        data, errors = _read_meeting_form(MeetingFormSchema())
        if data is not None:
            try:
                # The phone's service, so both apply one rule; it also checks the scope.
                meeting = services.plan_meeting(g.admin, data)
            except AppError as exc:
                if exc.status != 400:
                    raise  # out of scope (403) or gone (404): answered as such, not as a form error
                errors = {_REFUSAL_FIELDS.get(exc.code, "_schema"): [exc.message]}
            else:
                flash(f"已{'补录' if meeting.backfilled else '安排'}会议“{meeting.title}”")
                return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    # Opened from a missing cell of the compliance matrix: branch, kind (and party group) filled in.
    return _render_form(request.form if request.method == "POST" else request.args, errors)


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@writer_required
def edit(meeting_id: int):
    meeting = _meeting(meeting_id, write=True)
    services.ensure_editable(meeting)  # say so at once, rather than after the secretary has typed
    errors: dict = {}
    if request.method == "POST":
        # The organiser is fixed (see services.EDITABLE_FIELDS), so the form does not offer it.
        data, errors = _read_meeting_form(MeetingFormSchema(exclude=("organiser_id",)))
        if data is not None:
            # Outside the try: an org beyond the admin's subtree is a 403, not a form error.
            participants = _participants_in_scope(data["participant_ids"], meeting.participant_orgs)
            try:
                services.update_meeting(
                    meeting,
                    kind=data["kind"],
                    title=data["title"],
                    starts_at=_shown_or_posted(meeting.starts_at, data["starts_at"]),
                    ends_at=_shown_or_posted(meeting.ends_at, data["ends_at"]),
                    place=data["place"],
                    participants=participants,
                    geofence=data["geofence"],
                    backfill_reason=data["backfill_reason"],
                    strict_checkin=data["strict_checkin"],
                )
            except AppError as exc:
                errors = {_REFUSAL_FIELDS.get(exc.code, "_schema"): [exc.message]}
            else:
                flash(f"已保存会议“{meeting.title}”的修改")
                return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    form = request.form if request.method == "POST" else _form_values(meeting)
    return _render_form(form, errors, meeting, start_fixed=services.start_fixed(meeting))


def _shown_or_posted(stored: datetime, posted: datetime) -> datetime:
    """The form shows whole minutes; a time sent back as shown keeps its stored seconds, so it is no change."""
    return stored if posted == stored.replace(second=0, microsecond=0) else posted


def _form_values(meeting: Meeting) -> MultiDict:
    """The meeting as the form shows it: Beijing date and times, participants as a multi-select."""
    zone = display_zone()
    starts, ends = meeting.starts_at.astimezone(zone), meeting.ends_at.astimezone(zone)
    values = MultiDict(
        {
            "kind": meeting.kind.value,
            "title": meeting.title,
            "day": starts.date().isoformat(),
            "starts": f"{starts:%H:%M}",
            "ends": f"{ends:%H:%M}",
            "place": meeting.place,
            "geo_lat": "" if meeting.geo_lat is None else str(meeting.geo_lat),
            "geo_lng": "" if meeting.geo_lng is None else str(meeting.geo_lng),
            "geo_radius_m": "" if meeting.geo_radius_m is None else str(meeting.geo_radius_m),
            "backfill_reason": meeting.backfill_reason or "",
            "strict_checkin": "y" if meeting.strict_checkin else "",
        }
    )
    for org_id in sorted(services.participant_org_ids(meeting)):
        values.add("participant_ids", str(org_id))
    return values


@bp.route("/<int:meeting_id>")
@admin_required
def detail(meeting_id: int):
    meeting = _meeting(meeting_id)
    leaves = db.session.scalars(sa.select(LeaveRequest).where(LeaveRequest.meeting_id == meeting.id)).all()
    names = {
        m.id: m.name for m in db.session.scalars(sa.select(Member).where(Member.id.in_([r.member_id for r in leaves])))
    }
    return render_template(
        "meetings/detail.html",
        meeting=meeting,
        kinds=MEETING_KIND_LABELS,
        roster=services.roster(meeting),
        leaves=leaves,
        leave_names=names,
        pending=LeaveStatus.PENDING,
        editable=services.is_editable(meeting),
        refused=checkin.refused_scans(meeting.id),
        flag_labels=CHECKIN_FLAG_LABELS,
        now=utcnow(),
    )


def _participant(meeting: Meeting, member_id: int) -> Member:
    """A participant of a meeting the admin runs. Whoever runs a joint meeting marks and excuses all its
    participants, those of other branches too (as deciding their leave does); anyone else is "missing"."""
    member = db.session.get(Member, member_id)
    if member is None or not services.is_participant(meeting, member):
        raise NotFound(MEMBER_MISSING)
    return member


@bp.route("/<int:meeting_id>/manual", methods=["POST"])
@writer_required
def manual(meeting_id: int):
    meeting = _meeting(meeting_id, write=True)
    try:
        data = ManualCheckinSchema().load({k: v for k, v in request.form.items() if k != "csrf_token"})
    except ValidationError as exc:
        raise AppError("invalid_input", "手工签到须选择党员并填写原因", fields=translate(exc.messages)) from exc
    member = _participant(meeting, data["member_id"])
    if meeting.backfilled:  # entered from the paper record: present, whenever it is entered
        message = backfill.record_attendance(meeting, member, data["reason"], recorded_by_id=g.admin.id)
    else:
        message = checkin.mark_present(meeting, member, data["reason"], recorded_by_id=g.admin.id).message
    flash(f"{member.name}：{message}")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.route("/<int:meeting_id>/leave/<int:leave_id>", methods=["POST"])
@writer_required
def decide(meeting_id: int, leave_id: int):
    meeting = _meeting(meeting_id, write=True)
    request_ = leave.get_leave(leave_id)
    if request_.meeting_id != meeting.id:
        raise AppError("leave_mismatch", "请假申请不属于这次会议")
    leave.decide_leave(request_, approve=request.form.get("decision") == "approve", decided_by_id=g.admin.id)
    flash("已批准请假" if request_.status is LeaveStatus.APPROVED else "已不批准请假")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.route("/<int:meeting_id>/cancel", methods=["POST"])
@writer_required
def cancel(meeting_id: int):
    meeting = services.cancel_meeting(_meeting(meeting_id, write=True))
    flash(f"已取消会议“{meeting.title}”")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.route("/<int:meeting_id>/live")
@admin_required
def live(meeting_id: int):
    """The full-screen check-in page for the projector."""
    meeting = _meeting(meeting_id)
    refresh = current_app.config["MEETING_CODE_REFRESH"]
    return render_template("meetings/live.html", meeting=meeting, kinds=MEETING_KIND_LABELS, refresh=refresh)


@bp.route("/<int:meeting_id>/live/code")
@admin_required
def live_code(meeting_id: int):
    """A fresh code as a QR image; the live page swaps it in every few seconds. None in 现场核验: the
    notice instead, so a screen opened before the secretary switched it on stops showing a code."""
    meeting = _meeting(meeting_id)
    if meeting.backfilled:
        raise AppError("backfilled", "补录的会议不进行现场签到")
    if meeting.strict_checkin:
        return render_template("meetings/_live_strict.html")
    # A link, not the bare code: WeChat's own scanner then opens the meeting page and checks in.
    link = codes.checkin_link(codes.meeting_code(meeting))
    return render_template("meetings/_live_code.html", meeting=meeting, code=link, image=codes.qr_png_base64(link))


@bp.route("/<int:meeting_id>/live/arrivals")
@admin_required
def live_arrivals(meeting_id: int):
    """Who has arrived, newest first, with the count; polled every second by the live page."""
    live = services.live_list(_meeting(meeting_id))
    return render_template("meetings/_arrivals.html", live=live, flag_labels=CHECKIN_FLAG_LABELS)


@bp.route("/<int:meeting_id>/poster.png")
@admin_required
def poster(meeting_id: int):
    """The static mini-program code for a printed poster: it opens this meeting's page."""
    meeting = _meeting(meeting_id)
    png = get_wechat().get_unlimited_code(f"m={meeting.id}", "pages/meeting/index")
    return send_file(io.BytesIO(png), mimetype="image/png", download_name=f"meeting-{meeting.id}.png")
