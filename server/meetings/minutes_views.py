"""Admin pages of minutes: the draft, photos, finalising, amendments, and chain verification."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, send_file, url_for

from server.admin.access import admin_required, writer_required
from server.db import db
from server.errors import NotFound
from server.meetings import minutes as minutes_service
from server.meetings.models import MEETING_KIND_LABELS, MinutesAmendment, MinutesPhoto
from server.meetings.views import _meeting, bp
from server.orgs.models import Organisation
from server.uploads import MB, PHOTO_MAX_BYTES, PHOTO_TOO_LARGE, read_upload, upload_limit

#: the draft's text and a few photos in one form; more photos go in the next save
MINUTES_FORM_MAX_BYTES = 20 * MB


@bp.route("/<int:meeting_id>/minutes", methods=["GET"])
@admin_required
def minutes(meeting_id: int):
    meeting = _meeting(meeting_id)
    record = minutes_service.get_or_create_minutes(meeting) if g.admin.role.can_write else None
    if record is None:
        raise NotFound("该会议还没有纪要")
    photos = db.session.scalars(sa.select(MinutesPhoto).where(MinutesPhoto.minutes_id == record.id)).all()
    amendments = db.session.scalars(
        sa.select(MinutesAmendment).where(MinutesAmendment.minutes_id == record.id).order_by(MinutesAmendment.id)
    ).all()
    return render_template(
        "meetings/minutes.html",
        meeting=meeting,
        record=record,
        photos=photos,
        amendments=amendments,
        kinds=MEETING_KIND_LABELS,
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
    _meeting(meeting_id)
    photo = db.session.get(MinutesPhoto, photo_id)
    record = minutes_service.get_or_create_minutes(_meeting(meeting_id)) if photo else None
    if photo is None or record is None or photo.minutes_id != record.id:
        raise NotFound("照片不存在")
    return send_file(io.BytesIO(photo.data), mimetype=photo.content_type, download_name=photo.filename)


@bp.route("/verify")
@admin_required
def verify():
    """Whether every organisation's chain of finalised minutes in scope is intact."""
    reports = minutes_service.verify_all()
    orgs = {
        org.id: org
        for org in db.session.scalars(
            sa.select(Organisation).where(
                Organisation.id.in_(list(reports)), Organisation.path.startswith(g.admin.scope_path)
            )
        )
    }
    rows = [(orgs[org_id], report) for org_id, report in reports.items() if org_id in orgs]
    if any(not report.ok for _, report in rows):
        flash("发现会议记录被改动的痕迹，请核查下列问题")
    return render_template("meetings/verify.html", rows=rows)
