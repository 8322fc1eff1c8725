"""The dues admin pages as a secretary uses them: bases one by one and by Excel, bills, waivers,
branch settings, rules; every write audited, every other branch's record missing, read-only refused."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from server.audit.models import AuditLog
from server.auth.models import Role
from server.db import db
from server.dues import bills
from server.dues.bases import history
from server.dues.models import BillStatus, DuesBill, DuesBranchSettings, DuesRule
from server.dues.months import add_months, current_month

THIS = current_month()


@pytest.fixture
def people(rules, tree, make_member, make_admin):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    make_admin("weiyuan", Role.COMMITTEE, tree["a1"])
    make_admin("root", Role.SUPERADMIN, None)
    ours = make_member(tree["a1"], "张三", dues_base_yuan=Decimal("4000"))
    theirs = make_member(tree["b1"], "李四")
    bills.generate_bills(THIS)
    db.session.commit()
    return ours, theirs


def _actions(action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == action))


def test_setting_a_base_keeps_the_history_and_is_audited(people, browser):
    ours, theirs = people
    secretary = browser("shuji")
    response = secretary.post(
        f"/admin/dues/members/{ours.id}/base", {"effective_month": "2027-01", "base_yuan": "5200.50"}
    )
    assert response.status_code == 302
    assert next((row.effective_month, row.base_fen) for row in history(ours.id)) == (date(2027, 1, 1), 520_050)
    assert _actions("dues_base.create") >= 1
    page = secretary.get(f"/admin/dues/members/{ours.id}").get_data(as_text=True)
    assert "¥5,200.50" in page and "2027-01" in page
    assert (
        secretary.post(
            f"/admin/dues/members/{theirs.id}/base", {"effective_month": "2027-01", "base_yuan": "1"}
        ).status_code
        == 404
    )
    assert browser("weiyuan").post(f"/admin/dues/members/{ours.id}/base", {"base_yuan": "1"}).status_code == 403


def _upload(rows: list[list]) -> dict:
    book = Workbook()
    sheet = book.active
    sheet.title = "缴费基数"
    sheet.append(["党员编号", "姓名", "所在支部", "生效月份", "月缴费基数（元）"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return {"file": (buffer, "基数.xlsx")}


def test_the_template_lists_the_members_in_scope_only(people, browser):
    ours, theirs = people
    response = browser("shuji").get("/admin/dues/bases/template.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert ours.name in names and theirs.name not in names


def test_an_import_saves_every_row_or_none_with_each_error_named(people, browser):
    ours, theirs = people
    secretary = browser("shuji")
    bad = secretary.post(
        "/admin/dues/bases/import",
        _upload(
            [
                [ours.id, ours.name, "", "2027-01", 6000],
                [theirs.id, theirs.name, "", "2027-01", 100],
                [ours.id, "王五", "", "2027-13", "abc"],
            ]
        ),
        content_type="multipart/form-data",
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "第 3 行" in page and "不在您的管理范围内" in page  # another branch's member: "missing"
    assert "第 4 行" in page and "生效月份" in page and "月缴费基数" in page
    assert [row.base_fen for row in history(ours.id)] == [400_000]  # nothing saved
    good = secretary.post(
        "/admin/dues/bases/import",
        _upload([[ours.id, ours.name, "", "2027-01", 6000.5]]),
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    assert next(row.base_fen for row in history(ours.id)) == 600_050


def test_bills_page_filters_exports_and_hides_other_branches(people, browser, tree):
    ours, theirs = people
    secretary = browser("shuji")
    page = secretary.get(f"/admin/dues/bills?month={THIS:%Y-%m}").get_data(as_text=True)
    assert ours.name in page and theirs.name not in page
    assert secretary.get(f"/admin/dues/bills?org_id={tree['b1'].id}").status_code == 404
    assert f"{THIS:%Y年%m月}没有已缴账单" in secretary.get("/admin/dues/bills?status=paid").get_data(as_text=True)
    export = secretary.get(f"/admin/dues/bills.xlsx?month={THIS:%Y-%m}")
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in rows] == [ours.name]
    assert rows[0][5] == 40  # 4,000 yuan at 1% is 40 yuan, a number the secretary can sum
    assert _actions("dues_bill.export") == 1


def test_a_waiver_needs_a_reason_follows_the_transitions_and_is_audited(people, browser):
    ours, theirs = people
    bill = db.session.scalar(sa.select(DuesBill).where(DuesBill.member_id == ours.id))
    secretary = browser("shuji")
    secretary.post(f"/admin/dues/bills/{bill.id}/status", {"status": "waived"})
    db.session.refresh(bill)
    assert bill.status is BillStatus.UNPAID
    secretary.post(f"/admin/dues/bills/{bill.id}/status", {"status": "paid"})
    db.session.refresh(bill)
    assert bill.status is BillStatus.UNPAID  # paying goes through a payment only
    secretary.post(f"/admin/dues/bills/{bill.id}/status", {"status": "waived", "note": "重病住院"})
    db.session.refresh(bill)
    assert (bill.status, bill.note) == (BillStatus.WAIVED, "重病住院")
    assert _actions("dues_bill.status") == 1
    their_bill = db.session.scalar(sa.select(DuesBill.id).where(DuesBill.member_id == theirs.id))
    assert (
        secretary.post(f"/admin/dues/bills/{their_bill}/status", {"status": "waived", "note": "x"}).status_code == 404
    )


def test_branch_settings_hold_the_farmer_amount_in_range(people, browser, tree):
    secretary = browser("shuji")
    url = f"/admin/dues/settings/{tree['a1'].id}"
    secretary.post(url, {"farmer_yuan": "1.50"})
    assert db.session.get(DuesBranchSettings, tree["a1"].id) is None
    secretary.post(url, {"farmer_yuan": "0.60", "allow_pay_ahead": "on", "ahead_months": "3"})
    saved = db.session.get(DuesBranchSettings, tree["a1"].id)
    assert (saved.farmer_fen, saved.allow_pay_ahead, saved.ahead_months) == (60, True, 3)
    assert _actions("dues_settings.create") == 1
    assert secretary.get(f"/admin/dues/settings/{tree['b1'].id}").status_code == 404
    assert browser("weiyuan").post(url, {"farmer_yuan": "0.5"}).status_code == 403


def test_only_the_superadmin_adds_a_rule_and_only_for_a_future_month(people, browser):
    form = {"title": "新规", "employed": "3000:0.5, *:1", "retired": "*:0.5", "fixed_low_yuan": "0.2"}
    form |= {"farmer_min_yuan": "0.2", "farmer_max_yuan": "1"}
    assert browser("shuji").post("/admin/dues/rules", form | {"effective_month": "2030-01"}).status_code == 403
    root = browser("root")
    root.post("/admin/dues/rules", form | {"effective_month": f"{THIS:%Y-%m}"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DuesRule)) == 1
    root.post("/admin/dues/rules", form | {"effective_month": f"{add_months(THIS, 1):%Y-%m}"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DuesRule)) == 2
    assert _actions("dues_rule.create") == 2  # the 2008 rules seeded by the fixture, and this one
    page = browser("shuji").get("/admin/dues/rules").get_data(as_text=True)
    assert "中组发〔2008〕3号" in page and "待施行" in page and "¥3,000.00 以下（含）" in page


def test_an_oversized_base_file_is_refused_before_it_is_read(people, browser):
    from server.dues.base_imports import MAX_BYTES
    from tests.hostile_files import UnreadableBody

    secretary = browser("shuji")
    response = secretary.client.post(
        "/admin/dues/bases/import",
        input_stream=UnreadableBody(MAX_BYTES + 200 * 1024),  # past the file bound and the form overhead
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 413
    assert "512 KB" in response.get_data(as_text=True)
