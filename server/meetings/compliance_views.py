"""The committee's compliance view: required meetings not held, quiet branches, attendance rates."""

from __future__ import annotations

from datetime import date, timedelta

from flask import g, render_template, request

from server.admin.access import YEARS, admin_required, bounded_int
from server.meetings import compliance
from server.meetings.models import MEETING_KIND_LABELS
from server.meetings.views import bp
from server.spreadsheets import send_xlsx


def _quarter(value: str | None, today: date) -> tuple[date, date, str]:
    """The quarter asked for as "2026-4", default the last finished one."""
    try:
        year, quarter = (int(part) for part in (value or "").split("-"))
        if quarter not in (1, 2, 3, 4) or year not in YEARS:
            raise ValueError
    except ValueError:
        last_finished = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) - timedelta(days=1)
        year, quarter = last_finished.year, (last_finished.month - 1) // 3 + 1
    start = date(year, 3 * quarter - 2, 1)
    end = (date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)) - timedelta(days=1)
    return start, end, f"{year}-{quarter}"


def _reports():
    today = compliance.local_today()
    start, end, label = _quarter(request.args.get("quarter"), today)
    return compliance.subtree_compliance(g.admin.scope_path, start, end, today=today), start, end, label, today


@bp.route("/compliance")
@admin_required
def compliance_page():
    reports, start, end, label, today = _reports()
    failing = [report for report in reports if report.non_compliant]
    backfilled = [(report.branch, r) for report in reports for r in report.requirements if r.by_backfill]
    missing_by_kind: dict[str, int] = {}
    for report in failing:
        for requirement in report.missing:
            key = MEETING_KIND_LABELS[requirement.kind]
            missing_by_kind[key] = missing_by_kind.get(key, 0) + 1
    year, quarter = (int(part) for part in label.split("-"))
    previous = f"{year - (quarter == 1)}-{4 if quarter == 1 else quarter - 1}"
    following = f"{year + (quarter == 4)}-{1 if quarter == 4 else quarter + 1}"
    return render_template(
        "meetings/compliance.html",
        reports=reports,
        failing=failing,
        backfilled=backfilled,
        missing_by_kind=[[kind, count] for kind, count in missing_by_kind.items()],
        inactive=compliance.inactive_branches(g.admin.scope_path, today),
        start=start,
        end=end,
        label=label,
        previous=previous,
        following=following,
    )


@bp.route("/compliance.xlsx")
@admin_required
def compliance_export():
    reports, _, _, label, _ = _reports()
    content = compliance.compliance_workbook(reports)
    return send_xlsx(content, f"三会一课落实情况-{label}.xlsx")


def _year() -> int:
    return bounded_int(request.args.get("year"), YEARS) or compliance.local_today().year


@bp.route("/attendance")
@admin_required
def attendance_page():
    year = _year()
    rates = compliance.attendance_rates(g.admin.scope_path, year)
    lowest = sorted((row for row in rates["members"] if row["expected"]), key=lambda row: row["rate"])[:50]
    return render_template("meetings/attendance.html", year=year, branches=rates["branches"], lowest=lowest)


@bp.route("/attendance.xlsx")
@admin_required
def attendance_export():
    year = _year()
    rates = compliance.attendance_rates(g.admin.scope_path, year)
    content = compliance.attendance_workbook(rates)
    return send_xlsx(content, f"党员出勤率-{year}.xlsx")
