"""Admin pages of political birthdays: the month's list in one's scope, its export, and the 主题党日 form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from server.admin.access import YEARS, admin_required, bounded_int, id_arg, page_number, writer_required
from server.audit.services import record
from server.birthdays import excel, services, themeday
from server.birthdays.dates import month_after
from server.birthdays.forms import ThemeDayFormSchema
from server.db import utcnow
from server.errors import AppError
from server.http import translate
from server.orgs.services import get_org
from server.spreadsheets import send_xlsx
from server.timezone import local_date

bp = Blueprint("birthdays", __name__, url_prefix="/admin/birthdays", template_folder="templates")
PER_PAGE = 100


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def key(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    def next(self) -> Month:
        return Month(*month_after(self.year, self.month))


def _this_month() -> Month:
    today = local_date(utcnow())
    return Month(today.year, today.month)


def _month_arg() -> Month:
    """``?month=YYYY-MM``; anything else (absent, mangled, far off) is this month."""
    year, _, month = (request.args.get("month") or "").partition("-")
    parsed_year, parsed_month = bounded_int(year, YEARS), bounded_int(month, range(1, 13))
    return Month(parsed_year, parsed_month) if parsed_year and parsed_month else _this_month()


@bp.route("/")
@admin_required
def index():
    month, this = _month_arg(), _this_month()
    branch_id = id_arg("org_id")
    page = page_number()
    total = services.count_month(g.admin, month.year, month.month, branch_id)
    birthdays = services.month_page(g.admin, month.year, month.month, page, PER_PAGE, branch_id)
    return render_template(
        "birthdays/index.html",
        month=month,
        tabs=(this, this.next()),
        birthdays=birthdays,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        branch_id=branch_id,
    )


@bp.route("/export.xlsx")
@admin_required
def export():
    month = _month_arg()
    scope = g.admin.org
    title = f"{scope.name if scope else '全部组织'} {month.label}政治生日"
    record(
        "birthday.export",
        "organisation",
        entity_id=scope.id if scope else None,
        label=title,
        org_id=scope.id if scope else None,
        detail={"month": month.key},
    )
    content = excel.month_workbook(title, services.iter_month(g.admin, month.year, month.month))
    return send_xlsx(content, f"{month.label}政治生日.xlsx")


def _read_form() -> tuple[dict | None, dict]:
    raw = {key: value for key, value in request.form.items() if value.strip() and key != "csrf_token"}
    raw.pop("member_ids", None)
    raw["member_ids"] = request.form.getlist("member_ids")
    try:
        return ThemeDayFormSchema().load(raw), {}
    except ValidationError as exc:
        return None, translate(exc.messages)


#: next to which field a refusal of the service is shown; the rest go above the form
_REFUSAL_FIELDS = {"invalid_time": "ends", "start_passed": "starts", "no_members": "member_ids"}
_REFUSAL_FIELDS |= {"not_birthday_members": "member_ids"}


@bp.route("/branches/<int:org_id>/theme-day", methods=["GET", "POST"])
@writer_required
def theme_day(org_id: int):
    """Schedule one 主题党日 of a branch for its members' political birthdays of the month."""
    month = _month_arg()
    branch = themeday.branch_for(g.admin, get_org(org_id), write=True)
    members = themeday.birthday_members(g.admin, branch, month.year, month.month)
    errors: dict = {}
    form = request.form
    if request.method == "POST":
        data, errors = _read_form()
        if data is not None:
            member_ids = data.pop("member_ids")
            try:
                meeting = themeday.schedule(g.admin, branch, month.year, month.month, member_ids, data)
            except AppError as exc:
                if exc.status != 400:
                    raise
                errors = {_REFUSAL_FIELDS.get(exc.code, "_schema"): [exc.message]}
            else:
                flash(f"已安排“{meeting.title}”，为 {len(member_ids)} 名党员过政治生日")
                return redirect(url_for("meetings.detail", meeting_id=meeting.id))
        chosen = set(request.form.getlist("member_ids"))
    else:
        suggested = themeday.default_day(month.year, month.month, local_date(utcnow()))
        form = {
            "title": f"{month.month}月政治生日主题党日",
            "day": suggested.isoformat() if suggested else "",
            "starts": "15:00",
            "ends": "17:00",
        }
        chosen = {str(member.id) for member in members}
    birthdays = services.describe(members, month.year)
    return render_template(
        "birthdays/theme_day.html",
        month=month,
        branch=branch,
        birthdays=birthdays,
        form=form,
        chosen=chosen,
        errors=errors,
        first_day=date(month.year, month.month, 1),
    ), (422 if errors else 200)
