"""政治生日 in a real browser on the demo data: a branch secretary sees this month's political birthdays,
schedules one 主题党日 for them and lands on the new meeting; no console errors (the CSP forbids inline
scripts)."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from server.db import utcnow
from server.timezone import local_date
from tests.browser.conftest import login, screenshot
from tests.browser.test_dues_browser import _no_console_errors


def test_a_secretary_schedules_a_theme_day_for_this_months_political_birthdays(page: Page, demo):
    errors = _no_console_errors(page)
    login(page, "shuji1")
    page.get_by_role("link", name="政治生日", exact=True).click()
    rows = page.locator("#birthday-table tbody tr:not(.branch-row)")
    expect(rows).not_to_have_count(0)
    celebrants = rows.count()  # the demo's three, and whoever else of the branch joined in this month
    assert celebrants >= 3
    expect(page.locator("#birthday-table")).to_contain_text("已送达")  # today's, greeted by the demo
    screenshot(page, "birthdays-month")
    with page.expect_download() as download:
        page.locator("#export").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    page.locator(".theme-day-link").first.click()
    expect(page.locator("#members input[type=checkbox]:checked")).to_have_count(celebrants)
    page.locator("#day").fill((local_date(utcnow()) + timedelta(days=2)).isoformat())
    page.locator("#place").fill("党员活动室")
    screenshot(page, "birthdays-theme-day-form")
    page.get_by_role("button", name="安排主题党日").click()
    page.wait_for_url(re.compile(r"/admin/meetings/\d+$"))
    expect(page.locator(".flash")).to_contain_text(f"为 {celebrants} 名党员过政治生日")
    page.get_by_role("link", name="政治生日", exact=True).click()
    expect(page.locator("#birthday-table")).to_contain_text("政治生日主题党日")
    screenshot(page, "birthdays-scheduled")
    assert not [e for e in errors if re.search("Content Security Policy|Refused", e)], errors
