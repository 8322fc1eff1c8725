"""The sender's receipts page: the notice as members see it, live counts and the list of who has read, who
has acknowledged and who has not (htmx polls the fragment), the Excel export, and 提醒未读/未确认.

Rows are limited to the admin's scope (a general branch's admin sees their part of a committee's notice).
The export is in the audit trail; a reminder is a change of the notice (its ``reminders``) and audited so.
"""

from __future__ import annotations

from flask import flash, g, render_template, request

from server.admin.access import admin_required, writer_required
from server.audit.services import record
from server.db import utcnow
from server.inbox import push
from server.notices import audience, excel, receipts, services
from server.notices.models import NoticeStatus
from server.notices.receipts import ReceiptState
from server.notices.views import bp, notice_of, refusals_flashed, to_notice
from server.spreadsheets import send_xlsx

#: rows on the page (the export has them all)
PAGE_ROWS = 500
#: seconds between two refreshes of the live part
POLL_SECONDS = 5


def _state_arg() -> ReceiptState | None:
    try:
        return ReceiptState(request.args.get("state", ""))
    except ValueError:
        return None


def _live(notice) -> dict:
    state = _state_arg()
    return {
        "notice": notice,
        "figures": receipts.counts(notice),
        "rows": receipts.receipts(g.admin, notice, state, PAGE_ROWS),
        "state": state,
        "poll": POLL_SECONDS if notice.status is NoticeStatus.SENT else None,
        "quiet_until": push.quiet_until(utcnow()) if not notice.urgent else None,
    }


@bp.route("/<int:notice_id>")
@admin_required
def receipts_page(notice_id: int):
    notice = notice_of(notice_id)
    return render_template(
        "notices/receipts.html",
        audience_text=audience.describe(audience.of(notice)),
        may_review=services.may_review(g.admin, notice),
        **_live(notice),
    )


@bp.route("/<int:notice_id>/receipts")
@admin_required
def receipts_live(notice_id: int):
    """The live part of the receipts page (htmx): counts and the list."""
    return render_template("notices/_receipts.html", **_live(notice_of(notice_id)))


@bp.route("/<int:notice_id>/receipts.xlsx")
@admin_required
def receipts_export(notice_id: int):
    notice = notice_of(notice_id)
    rows = receipts.receipts(g.admin, notice)
    record(
        "notice.export",
        "notice",
        entity_id=notice.id,
        label=notice.title,
        org_id=notice.org_id,
        detail={"rows": len(rows)},
    )
    return send_xlsx(excel.receipts_workbook(notice, receipts.counts(notice), rows), f"通知回执-{notice.id}.xlsx")


@bp.route("/<int:notice_id>/remind", methods=["POST"])
@writer_required
def remind(notice_id: int):
    notice = notice_of(notice_id, write=True)
    with refusals_flashed():
        done = services.remind(g.admin, notice)
        what = "未确认" if notice.ack_required else "未读"
        flash(
            f"第 {done.round} 次提醒：已向 {done.members} 名{what}的党员发出提醒（其中 {done.pushes} 人可收到微信通知）"
        )
    return to_notice(notice)
