"""Admin pages of the newspaper: writing an article (title, summary, cover, body) beside a phone-sized preview
that shows it as the mini-program will, and the images put into its body.

The body is edited in the browser (server/static/news-editor.js) but only ever stored as
server/newspaper/sanitise.py leaves it; the preview is rendered by the server from the same cleaning,
so what the secretary sees is what members get. Images go through server/newspaper/images.py (size
before decoding, type from the bytes, resized, metadata gone).
"""

from __future__ import annotations

from flask import flash, g, jsonify, redirect, render_template, request, url_for

from server.admin.access import admin_required, writer_required
from server.audit.services import record
from server.db import db
from server.errors import AppError
from server.newspaper import admin_services, images, sanitise, workflow
from server.newspaper.models import IssueStatus, NewsArticle, NewsIssue
from server.newspaper.views import bp, issue_of, refusals_flashed, to_issue
from server.timezone import to_local
from server.uploads import FORM_OVERHEAD, MB, read_upload, upload_limit

#: a cover and the longest body allowed (sanitise.MAX_BODY_CHARS, up to 3 bytes a character) in one form
ARTICLE_FORM_MAX_BYTES = images.MAX_BYTES + 3 * sanitise.MAX_BODY_CHARS + FORM_OVERHEAD
ARTICLE_FORM_TOO_LARGE = f"封面图片不能超过 {images.MAX_BYTES // MB} MB"
IMAGE_FORM_MAX_BYTES = images.MAX_BYTES + FORM_OVERHEAD


def _article(article_id: int, *, write: bool = False) -> NewsArticle:
    return workflow.get_article(g.admin, article_id, write=write)


def _cover_upload() -> bytes | None:
    upload = request.files.get("cover")
    if upload is None or not upload.filename:
        return None
    return read_upload(upload, images.MAX_BYTES, images.TOO_LARGE, code="image_too_large")


def _fields(current_cover: str | None) -> dict:
    form = request.form
    cover = admin_services.cover_from_upload(_cover_upload(), current_cover, remove=bool(form.get("remove_cover")))
    return {
        "title": form.get("title", ""),
        "summary": form.get("summary", ""),
        "body_html": form.get("body_html", ""),
        "cover": cover,
    }


def _render_editor(issue: NewsIssue, article: NewsArticle | None, status: int = 200):
    form = request.form if request.method == "POST" else None
    return render_template(
        "newspaper/article.html",
        issue=issue,
        article=article,
        title=form.get("title", "") if form else (article.title if article else ""),
        summary=form.get("summary", "") if form else (article.summary if article else ""),
        body=form.get("body_html", "") if form else (article.body_html if article else ""),
        cover=article.cover if article else None,
        preview_date=to_local(issue.published_at or issue.created_at),
    ), status


@bp.route("/<int:issue_id>/articles/new", methods=["GET", "POST"])
@upload_limit(ARTICLE_FORM_MAX_BYTES, ARTICLE_FORM_TOO_LARGE)
@writer_required
def new_article(issue_id: int):
    issue = issue_of(issue_id, write=True)
    if issue.status is not IssueStatus.DRAFT:
        flash(workflow.ONLY_DRAFTS)
        return to_issue(issue)
    if request.method == "POST":
        with refusals_flashed():
            article = workflow.add_article(g.admin, issue, **_fields(None))
            flash(f"已添加文章“{article.title}”")
            return redirect(url_for("newspaper.edit_article", article_id=article.id))
        return _render_editor(issue, None, 422)
    return _render_editor(issue, None)


@bp.route("/articles/<int:article_id>", methods=["GET", "POST"])
@upload_limit(ARTICLE_FORM_MAX_BYTES, ARTICLE_FORM_TOO_LARGE)
@writer_required
def edit_article(article_id: int):
    article = _article(article_id, write=True)
    issue = article.issue
    if request.method == "POST":
        with refusals_flashed():
            workflow.edit_article(g.admin, article, **_fields(article.cover))
            flash(f"已保存文章“{article.title}”")
            return redirect(url_for("newspaper.edit_article", article_id=article.id))
        return _render_editor(issue, db.session.get(NewsArticle, article_id), 422)
    if issue.status is not IssueStatus.DRAFT:
        flash(workflow.ONLY_DRAFTS)
        return to_issue(issue)
    return _render_editor(issue, article)


@bp.route("/articles/<int:article_id>/delete", methods=["POST"])
@writer_required
def delete_article(article_id: int):
    article = _article(article_id, write=True)
    issue, title = article.issue, article.title
    with refusals_flashed():
        workflow.remove_article(g.admin, article)
        flash(f"已删除文章“{title}”")
    return to_issue(issue, "articles")


@bp.route("/articles/<int:article_id>/move", methods=["POST"])
@writer_required
def move_article(article_id: int):
    article = _article(article_id, write=True)
    with refusals_flashed():
        admin_services.move_article(g.admin, article, -1 if request.form.get("direction") == "up" else 1)
    return to_issue(article.issue, "articles")


@bp.route("/<int:issue_id>/preview", methods=["POST"])
@writer_required
def preview(issue_id: int):
    """The article as the phone will show it (htmx, while typing): the body cleaned as it would be stored."""
    issue = issue_of(issue_id, write=True)
    form = request.form
    body = form.get("body_html", "")
    too_long = len(body) > sanitise.MAX_BODY_CHARS
    cover = form.get("cover_current") or None
    return render_template(
        "newspaper/_phone_article.html",
        issue=issue,
        title=form.get("title", "").strip() or "（请填写标题）",
        summary=form.get("summary", "").strip(),
        body=sanitise.clean(body[: sanitise.MAX_BODY_CHARS]),
        too_long=too_long,
        cover=None if form.get("remove_cover") or not images.NAME.match(cover or "") else cover,
        date=to_local(issue.published_at or issue.created_at),
    )


@bp.route("/<int:issue_id>/images", methods=["POST"])
@upload_limit(IMAGE_FORM_MAX_BYTES, images.TOO_LARGE)
@writer_required
def upload_image(issue_id: int):
    """An image for an article's body: stored (checked, resized) and its address returned as JSON for the
    editor to insert. Refusals are JSON in the one error shape, for the editor to show."""
    issue = issue_of(issue_id, write=True)
    if issue.status is not IssueStatus.DRAFT:
        return _json_refusal(AppError("wrong_issue_status", workflow.ONLY_DRAFTS, status=409))
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        return _json_refusal(AppError("image_required", "请选择图片", status=422))
    try:
        name = images.store(read_upload(upload, images.MAX_BYTES, images.TOO_LARGE, code="image_too_large"))
    except AppError as refusal:
        return _json_refusal(refusal)
    record(
        "news_issue.image_upload",
        "news_issue",
        entity_id=issue.id,
        label=issue.audit_label(),
        org_id=issue.org_id,
        detail={"image": name},
    )
    return jsonify({"url": f"{sanitise.MEDIA_PATH}{name}", "name": name}), 201


def _json_refusal(refusal: AppError):
    return jsonify({"error": {"code": refusal.code, "message": refusal.message}}), refusal.status


@bp.route("/articles/<int:article_id>/view")
@admin_required
def article_view(article_id: int):
    """An article as members will read it, for whoever reviews the issue or follows it afterwards."""
    article = _article(article_id)
    issue = article.issue
    return render_template(
        "newspaper/article_view.html",
        issue=issue,
        article=article,
        title=article.title,
        summary=article.summary,
        body=article.body_html,
        too_long=False,
        cover=article.cover,
        date=to_local(issue.published_at or issue.created_at),
    )
