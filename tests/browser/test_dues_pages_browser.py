"""Every dues admin page in Chromium on the demo data, as the committee's finance admin sees it: each one
opens with no console error, money reads ¥1,234.50, no page is wider than the window, and a screenshot
of each is saved (test-artifacts/screenshots/dues-page-*.png) to be looked at."""

from __future__ import annotations

import io
import re
from datetime import date

import sqlalchemy as sa
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from server.db import db
from server.dues import base_imports, refunds
from server.dues.months import current_month
from server.dues.payment_models import Channel, DuesPayment
from server.members.models import Member
from tests.browser.conftest import login, screenshot
from tests.browser.test_dues_browser import _no_console_errors

MONEY = re.compile(r"¥\d{1,3}(,\d{3})*\.\d{2}")


def _pages() -> dict[str, str]:
    (waiting,) = refunds.needing_attention("/")
    wechat = db.session.scalar(
        sa.select(DuesPayment.member_id).where(DuesPayment.channel == Channel.WECHAT).order_by(DuesPayment.id)
    )
    branch = db.session.get(Member, wechat).org_id
    return {
        "bills": "/admin/dues/bills",
        "arrears": "/admin/dues/arrears",
        "ledger": "/admin/dues/ledger",
        "remittances": "/admin/dues/remittances",
        "bases": "/admin/dues/bases",
        "reconciliation": "/admin/dues/reconciliation",
        "rules": "/admin/dues/rules",
        "member": f"/admin/dues/members/{wechat}",
        "payments": f"/admin/dues/members/{wechat}/payments",
        "refund-waiting": f"/admin/dues/members/{waiting.member_id}/payments",
        "settings": f"/admin/dues/settings/{branch}",
    }


def test_a_base_import_with_a_mistake_names_its_row_and_column(page: Page, demo, tmp_path):
    book = load_workbook(io.BytesIO(base_imports.template("/", date(current_month().year + 1, 1, 1))))
    book.active["E3"] = "五千"
    upload = tmp_path / "缴费基数.xlsx"
    book.save(upload)
    login(page, "dangwei")
    page.goto("/admin/dues/bases")
    page.locator("#base-import summary").click()
    screenshot(page, "dues-page-bases-import")
    page.locator("#base-import input[type=file]").set_input_files(str(upload))
    page.locator("#base-import").get_by_role("button", name="上传并导入").click()
    expect(page.locator("#import-errors")).to_contain_text("第 3 行")
    expect(page.locator("#import-errors")).to_contain_text("月缴费基数（元）")
    screenshot(page, "dues-page-bases-import-errors")


def test_every_dues_page_reads_well_on_the_demo(page: Page, demo):
    errors = _no_console_errors(page)
    pages = _pages()
    login(page, "dangwei")
    for name, path in pages.items():
        page.goto(path)
        expect(page.locator("main h2")).to_be_visible()
        if name == "ledger":
            expect(page.locator("#chart-ledger svg")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name} is too wide"
        if name not in ("rules", "settings"):
            assert MONEY.search(page.locator("main").inner_text()), f"no ¥ amount on {name}"
        screenshot(page, f"dues-page-{name}")
    page.goto(pages["payments"])
    page.locator("#member-payments details.row-action summary").first.click()
    expect(page.locator("#member-payments .refund-form").first).to_be_visible()
    screenshot(page, "dues-page-payments-refund-form")
    page.goto(pages["reconciliation"])
    expect(page.locator("#refunds-attention")).to_contain_text("退款异常，待处理")
    expect(page.locator("#nav-reconciliation .nav-count")).to_have_text("1")
    page.goto(pages["arrears"])
    expect(page.locator("#arrears-members")).not_to_contain_text("还没有提醒")
    # the browser's own favicon request answers 404 (reported by URL otherwise, see _no_console_errors)
    assert not [e for e in errors if not e.startswith("Failed to load resource") or "404" not in e], errors
