"""Admin pages of minutes: the draft, photos, finalising, amendments, and chain verification."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, send_file, url_for

from server.admin.access import admin_required, writer_required
from server.db import db, utcnow
from server.errors import NotFound
from server.meetings import minutes as minutes_service
from server.meetings.models import MEETING_KIND_LABELS, MinutesAmendment, MinutesPhoto
from server.meetings.views import _meeting, bp
from server.uploads import MB, PHOTO_MAX_BYTES, PHOTO_TOO_LARGE, read_upload, upload_limit

#: the draft's text and a few photos in one form; more photos go in the next save
MINUTES_FORM_MAX_BYTES = 20 * MB


@bp.route("/<int:meeting_id>/minutes", methods=["GET"])
@admin_required
def minutes(meeting_id: int):
    meeting = _meeting(meeting_id)
    record = minutes_service.find_minutes(meeting)  # a GET never creates the row: the first save does
    record_id = record.id if record is not None else None
    photos = db.session.scalars(sa.select(MinutesPhoto).where(MinutesPhoto.minutes_id == record_id)).all()
    amendments = db.session.scalars(
        sa.select(MinutesAmendment).where(MinutesAmendment.minutes_id == record_id).order_by(MinutesAmendment.id)
    ).all()
    return render_template(
        "meetings/minutes.html",
        meeting=meeting,
        record=record,
        photos=photos,
        amendments=amendments,
        kinds=MEETING_KIND_LABELS,
        held=meeting.starts_at <= utcnow(),
        heads=minutes_service.signed_heads(record),
        photo_limits={"mb": PHOTO_MAX_BYTES // MB, "count": minutes_service.MAX_PHOTOS},
    )


@bp.route("/<int:meeting_id>/minutes", methods=["POST"])
@upload_limit(MINUTES_FORM_MAX_BYTES, f"一次提交的照片合计不能超过 {MINUTES_FORM_MAX_BYTES // MB} MB，请分几次上传")
@writer_required
def save_minutes(meeting_id: int):
    record = minutes_service.get_or_create_minutes(_meeting(meeting_id, write=True))
    form = request.form
    minutes_service.save_draft(record, form.get("topic", ""), form.get("content", ""), form.get("decisions", ""))
    for upload in request.files.getlist("photos"):
        if upload.filename:
            data = read_upload(upload, PHOTO_MAX_BYTES, PHOTO_TOO_LARGE, code="photo_too_large")
            minutes_service.add_photo(record, upload.filename, data)
    if form.get("action") == "finalise":
        minutes_service.finalise(record)
        flash("纪要已定稿并锁定；此后只能追加更正说明")
    else:
        flash("草稿已保存")
    return redirect(url_for("meetings.minutes", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>/minutes/amend", methods=["POST"])
@writer_required
def amend_minutes(meeting_id: int):
    record = minutes_service.get_or_create_minutes(_meeting(meeting_id, write=True))
    minutes_service.amend(record, request.form.get("reason", ""), request.form.get("content", ""), g.admin.id)
    flash("已追加更正说明")
    return redirect(url_for("meetings.minutes", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>/minutes/photos/<int:photo_id>")
@admin_required
def minutes_photo(meeting_id: int, photo_id: int):
    record = minutes_service.find_minutes(_meeting(meeting_id))
    photo = db.session.get(MinutesPhoto, photo_id)
    if photo is None or record is None or photo.minutes_id != record.id:
        raise NotFound("照片不存在")
    return send_file(io.BytesIO(photo.data), mimetype=photo.content_type, download_name=photo.filename)


@bp.route("/verify")
@admin_required
def verify():
    """Whether every chain of finalised minutes in the admin's subtree is intact (the whole deployment,
    with the anchor file itself, for the superadmin)."""
    result = minutes_service.verify_all(g.admin.scope_path)
    rows = [(result.organisations[org_id], report) for org_id, report in result.reports.items()]
    if not result.ok:
        flash("发现会议记录被改动的痕迹，请核查下列问题")
    return render_template("meetings/verify.html", rows=rows, anchor_file=result.anchor_file)
