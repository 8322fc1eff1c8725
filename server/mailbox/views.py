"""Admin pages of the mailbox: the queue (by status, overdue first), one letter with its reply form, taking
it on and replying, and the reply time a committee sets. The board's moderation and the statistics are in
board_views.py and stats_views.py, on this blueprint.

Thin: parse, call one service, flash, redirect. A letter outside the admin's scope is "missing" (404); a
read-only account gets 403. Nothing here can show an anonymous letter's author: the services never load it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from server.admin.access import id_arg, page_number, writer_required
from server.auth.scope import scope_roots
from server.db import db
from server.errors import AppError
from server.mailbox import forms, letters, settings
from server.mailbox.models import LETTER_STATUS_LABELS, Letter
from server.orgs import services as org_services

bp = Blueprint("mailbox", __name__, url_prefix="/admin/mailbox", template_folder="templates")


@contextmanager
def refusals_flashed() -> Iterator[None]:
    """A refusal the admin can act on is flashed, nothing written; 403 and 404 are answered as such."""
    try:
        yield
    except AppError as refusal:
        if refusal.status in (401, 403, 404):
            raise
        db.session.rollback()
        flash(refusal.message)


def to_letter(letter: Letter):
    return redirect(url_for("mailbox.letter_page", letter_id=letter.id))


@bp.route("/")
@writer_required
def queue():
    status = forms.letter_status(request.args.get("status"))
    overdue = request.args.get("overdue") == "1"
    listing = letters.queue(g.admin, status, overdue, page_number(), id_arg("org_id"))
    roots = scope_roots(g.admin)
    return render_template(
        "mailbox/queue.html",
        listing=listing,
        status=status,
        overdue=overdue,
        labels=LETTER_STATUS_LABELS,
        reply_days={root.id: settings.reply_days(root) for root in roots},
        roots=roots,
    )


@bp.route("/letters/<int:letter_id>")
@writer_required
def letter_page(letter_id: int):
    letter = letters.get_letter(g.admin, letter_id)
    return render_template("mailbox/letter.html", letter=letter, reply_days=settings.reply_days(letter.org))


@bp.route("/letters/<int:letter_id>/take", methods=["POST"])
@writer_required
def take(letter_id: int):
    letter = letters.get_letter(g.admin, letter_id, write=True)
    with refusals_flashed():
        letters.take(g.admin, letter)
        flash("已受理，请尽快回复")
    return to_letter(letter)


@bp.route("/letters/<int:letter_id>/reply", methods=["POST"])
@writer_required
def reply(letter_id: int):
    letter = letters.get_letter(g.admin, letter_id, write=True)
    with refusals_flashed():
        letters.reply(g.admin, letter, request.form.get("reply", ""))
        flash("已回复，写信人会在小程序中看到回复，已订阅提醒的会收到推送")
    return to_letter(letter)


@bp.route("/settings", methods=["POST"])
@writer_required
def save_settings():
    with refusals_flashed():
        org = org_services.get_org(forms.org_id(request.form))
        days = forms.reply_days(request.form)
        settings.set_reply_days(g.admin, org, days)
        flash(f"已设置：{org.name}及下级组织的来信 {days} 天内未回复将被标记" if days else "已恢复为上级设定的回复时限")
    return redirect(url_for("mailbox.queue"))
