"""The compliance matrix (branches × periods of a quarter), quiet branches, and attendance rates."""

from __future__ import annotations

from datetime import date

from flask import current_app, g, render_template, request

from server.admin.access import YEARS, admin_required, bounded_int, page_number
from server.meetings.attendance import attendance_rates
from server.meetings.attendance_excel import attendance_workbook
from server.meetings.compliance_activity import inactive_branches
from server.meetings.compliance_excel import compliance_workbook
from server.meetings.compliance_matrix import compliance_matrix
from server.meetings.compliance_rules import QUARTER, Period, State, period_of
from server.meetings.views import bp
from server.spreadsheets import send_xlsx
from server.timezone import local_today

#: branches per page of the matrix: a committee of thousands of branches pages through them
ROWS_PER_PAGE = 100


def _quarter(value: str | None, today: date) -> Period:
    """The quarter asked for as "2026-3"; by default (or when mangled) the one under way."""
    try:
        year, quarter = (int(part) for part in (value or "").split("-"))
        if quarter not in (1, 2, 3, 4) or year not in YEARS:
            raise ValueError
    except ValueError:
        return period_of(QUARTER, today)
    return period_of(QUARTER, date(year, 3 * quarter - 2, 1))


def _key(quarter: Period) -> str:
    return f"{quarter.start.year}-{(quarter.start.month - 1) // 3 + 1}"


def _matrix():
    today = local_today()
    return compliance_matrix(g.admin.scope_path, _quarter(request.args.get("quarter"), today), today)


@bp.route("/compliance")
@admin_required
def compliance_page():
    matrix = _matrix()
    quarter = matrix.quarter
    only_missing = request.args.get("only") == "missing"
    rows = matrix.failing if only_missing else matrix.rows
    page = min(page_number(), max(1, -(-len(rows) // ROWS_PER_PAGE)))
    return render_template(
        "meetings/compliance.html",
        matrix=matrix,
        rows=rows[(page - 1) * ROWS_PER_PAGE : page * ROWS_PER_PAGE],
        page=page,
        pages=-(-len(rows) // ROWS_PER_PAGE),
        only_missing=only_missing,
        State=State,
        key=_key(quarter),
        previous=_key(period_of(QUARTER, date.fromordinal(quarter.start.toordinal() - 1))),
        following=_key(period_of(QUARTER, date.fromordinal(quarter.end.toordinal() + 1))),
        current=_key(period_of(QUARTER, matrix.today)),
        years=range(matrix.today.year, matrix.today.year - 6, -1),
        unrecorded=[row.branch.name for row in matrix.rows if not row.committee_size] if matrix.has_committee else [],
        inactive=inactive_branches(g.admin.scope_path, matrix.today),
    )


@bp.route("/compliance.xlsx")
@admin_required
def compliance_export():
    matrix = _matrix()
    return send_xlsx(compliance_workbook(matrix), f"三会一课落实情况-{_key(matrix.quarter)}.xlsx")


def _year() -> int:
    return bounded_int(request.args.get("year"), YEARS) or local_today().year


@bp.route("/attendance")
@admin_required
def attendance_page():
    report = attendance_rates(g.admin.scope_path, _year())
    threshold = current_app.config["ATTENDANCE_LOW_PERCENT"]
    return render_template(
        "meetings/attendance.html",
        report=report,
        threshold=threshold,
        lowest=report.below(threshold / 100),
        anyone_expected=any(row.figures.expected for row in report.members),
    )


@bp.route("/attendance.xlsx")
@admin_required
def attendance_export():
    year = _year()
    return send_xlsx(attendance_workbook(attendance_rates(g.admin.scope_path, year)), f"党员出勤率-{year}.xlsx")
