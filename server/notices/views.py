"""Admin pages of notices (通知公告): the list of sent notices, composing one (sender, audience picker with
the live reach, attachment, 回执, now or later), withdrawing, and the attachment as members see it.

Thin: parse the form (server/notices/forms.py), call a service, flash what happened. A notice outside the
admin's subtree is "missing" (404), a read-only account gets 403; a refusal a secretary can act on (a
blank title, the daily limit) comes back as a message on the page, with nothing written. Receipts and
reminders are in receipt_views.py, review in review_views.py, the committee's rules in settings_views.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from server.admin.access import admin_required, page_number, writer_required
from server.auth.scope import ORG_MISSING, in_scope
from server.db import db, utcnow
from server.errors import AppError, NotFound
from server.members.models import Member
from server.notices import attachments, audience, forms, receipts, rules, services
from server.notices.models import NOTICE_STATUS_LABELS, Notice, NoticeStatus
from server.orgs.models import Organisation, OrgKind
from server.orgs.services import live_orgs_under
from server.uploads import upload_limit

bp = Blueprint("notices", __name__, url_prefix="/admin/notices", template_folder="templates")
PER_PAGE = 20
#: members listed one by one in the picker (a larger organisation is reached through its branches)
PICKER_MEMBERS = 300


@contextmanager
def refusals_flashed() -> Iterator[None]:
    """A refusal the admin can act on becomes a message, with nothing written; 401/403/404 stay answers."""
    try:
        yield
    except AppError as refusal:
        if refusal.status in (401, 403, 404):
            raise
        db.session.rollback()
        flash(refusal.message)


def notice_of(notice_id: int, *, write: bool = False) -> Notice:
    return services.get_notice(g.admin, notice_id, write=write)


def to_notice(notice: Notice):
    return redirect(url_for("notices.receipts_page", notice_id=notice.id))


# --- the list ------------------------------------------------------------------------------------------------


@bp.route("/")
@admin_required
def index():
    page = page_number()
    where = in_scope(Notice.org_id, g.admin)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Notice).where(where)) or 0
    notices = list(
        db.session.scalars(
            sa.select(Notice)
            .where(where)
            .options(sa.orm.joinedload(Notice.org), sa.orm.joinedload(Notice.author))
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
    )
    figures = {n.id: receipts.counts(n) for n in notices if n.status in (NoticeStatus.SENT, NoticeStatus.WITHDRAWN)}
    waiting = len(services.review_queue(g.admin)) if g.admin.role.can_write else 0
    return render_template(
        "notices/list.html",
        notices=notices,
        figures=figures,
        waiting=waiting,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        total=total,
        labels=NOTICE_STATUS_LABELS,
    )


# --- composing -----------------------------------------------------------------------------------------------


def _sender(orgs: list[Organisation], source) -> Organisation:
    """The organisation chosen to send as (the admin's own by default); one outside the scope is "missing"."""
    wanted = forms.sender_id(source)
    if wanted is None:
        home = next((org for org in orgs if org.id == g.admin.org_id), None)
        if home is not None or orgs:
            return home or orgs[0]
    found = next((org for org in orgs if org.id == wanted), None)
    if found is None:
        raise NotFound(ORG_MISSING)
    return found


def _picker(sender: Organisation) -> tuple[list[dict], list[Member]]:
    """The sender's live subtree (party groups only under a branch: a committee reaches its thousands of groups
    through their branches), and the members of a branch to tick one by one."""
    query = live_orgs_under(sender.path or "")
    if sender.kind is not OrgKind.BRANCH:
        query = query.where(Organisation.kind != OrgKind.GROUP)
    rows = [
        {"org": org, "indent": org.depth - sender.depth}
        for org in db.session.scalars(query.order_by(Organisation.path))
    ]
    members: list[Member] = []
    if sender.kind is OrgKind.BRANCH:
        members = list(
            db.session.scalars(
                sa.select(Member)
                .where(Member.org_id == sender.id)
                .order_by(Member.name_sort, Member.id)
                .limit(PICKER_MEMBERS)
            )
        )
    return rows, members


@bp.route("/new", methods=["GET", "POST"])
@upload_limit(attachments.MAX_FORM_BYTES, attachments.TOO_LARGE)
@writer_required
def compose():
    orgs = services.sending_orgs(g.admin)
    source = request.form if request.method == "POST" else request.args
    sender = _sender(orgs, source)
    if request.method == "POST":
        with refusals_flashed():
            draft = forms.draft(request.form)
            targets = audience.check(g.admin, sender, forms.org_ids(request.form), forms.member_ids(request.form))
            stored = attachments.store(request.files.get("attachment"))
            notice = services.compose(g.admin, sender, draft, targets, stored)
            flash(_sent_message(notice))
            return to_notice(notice)
    picker, members = _picker(sender)
    limits = rules.for_org(sender)
    return render_template(
        "notices/compose.html",
        orgs=orgs,
        sender=sender,
        picker=picker,
        members=members,
        form=request.form,
        ticked_orgs=set(forms.org_ids(request.form)) if request.method == "POST" else {sender.id},
        ticked_members=set(forms.member_ids(request.form)),
        limits=limits,
        used_today=rules.sent_today(g.admin, utcnow()),
        max_members=audience.MAX_MEMBERS,
    ), (422 if request.method == "POST" else 200)


def _sent_message(notice: Notice) -> str:
    if notice.status is NoticeStatus.PENDING_REVIEW:
        return f"通知共 {notice.audience_size} 人，超过本党委规定的人数，已提交上级组织审核，审核通过后发送"
    if notice.status is NoticeStatus.SCHEDULED:
        return f"已定时发送，共 {notice.audience_size} 人"
    return f"已发送给 {notice.audience_size} 名党员"


@bp.route("/reach")
@writer_required
def reach():
    """The picker's live count (htmx): how many members the ticked organisations and members reach."""
    sender = _sender(services.sending_orgs(g.admin), request.args)
    try:
        targets = audience.check(g.admin, sender, forms.org_ids(request.args), forms.member_ids(request.args))
        count, problem = audience.reach(targets), None
    except AppError as refusal:
        if refusal.status in (401, 403, 404):
            raise
        count, problem = None, refusal.message
    return render_template("notices/_reach.html", count=count, problem=problem)


# --- withdrawing, the attachment ---------------------------------------------------------------------------


@bp.route("/<int:notice_id>/withdraw", methods=["POST"])
@writer_required
def withdraw(notice_id: int):
    notice = notice_of(notice_id, write=True)
    with refusals_flashed():
        services.withdraw(g.admin, notice)
        flash("已撤回：通知已从党员的消息列表中移除，尚未发出的提醒已取消")
    return to_notice(notice)


@bp.route("/<int:notice_id>/attachment")
@admin_required
def attachment(notice_id: int):
    notice = notice_of(notice_id)
    return attachments.download(notice.attachment, notice.attachment_name)
