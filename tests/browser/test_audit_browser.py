"""操作日志 in a real browser on the demo data: a branch secretary filters the trail to meetings, reads the
changes in words, opens the rest of a long entry and downloads the export; no console errors."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import login, screenshot
from tests.browser.test_dues_browser import _no_console_errors


def test_a_secretary_reads_and_filters_the_trail(page: Page, demo):
    errors = _no_console_errors(page)
    login(page, "shuji1")
    page.get_by_role("link", name="操作日志").click()
    expect(page.locator("table.audit")).to_be_visible()
    screenshot(page, "audit-log")
    page.get_by_label("对象类别").select_option(label="会议")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("table.audit")).to_contain_text("会议类型：主题党日")
    expect(page.locator("table.audit")).not_to_contain_text("theme_day")
    page.locator("table.audit details summary").first.click()
    expect(page.locator("table.audit details").first).to_contain_text("现场核验：否")
    screenshot(page, "audit-log-meetings")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename == "操作日志.xlsx"
    assert errors == []
