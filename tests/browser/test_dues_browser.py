"""The dues pages in a real browser on the demo data: what a secretary sees at first open, with no
console errors (the CSP forbids inline scripts), and a base set through the form."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import login, screenshot


def _no_console_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    # a missing resource is reported by URL below (the tab's icon included: the pages name theirs)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return errors


def test_a_secretary_finds_bills_bases_and_rules(page: Page, demo):
    errors = _no_console_errors(page)
    login(page, "shuji1")
    page.get_by_role("link", name="党费", exact=True).click()
    expect(page.locator("#bill-table tbody tr")).not_to_have_count(0)
    expect(page.locator("#bill-totals")).to_contain_text("已缴")
    screenshot(page, "dues-bills")
    page.locator("#bill-filters select[name=status]").select_option("unpaid")
    page.locator("#bill-filters").get_by_role("button", name="查询").click()
    expect(page.locator("#bill-table")).not_to_contain_text("已缴")
    page.locator("#dues-nav").get_by_role("button", name="缴费基数").click()
    expect(page.locator("#bases-table tbody tr")).not_to_have_count(0)
    screenshot(page, "dues-bases")
    page.locator("#bases-table").get_by_role("link", name="基数与缴费记录").nth(1).click()
    expect(page.locator("#dues-summary")).to_contain_text("未缴月数")
    page.get_by_label("月缴费基数（元）").fill("6800")
    page.get_by_role("button", name="设置基数").click()
    expect(page.locator(".flash")).to_contain_text("缴费基数")
    expect(page.locator("#base-history")).to_contain_text("¥6,800.00")
    screenshot(page, "dues-member")
    page.locator("#dues-nav").get_by_role("button", name="党费规则").click()
    expect(page.locator(".dues-rule").first).to_contain_text("中组发〔2008〕3号")
    expect(page.locator("#rule-form")).to_have_count(0)  # only the superadmin adds rules
    screenshot(page, "dues-rules")
    page.goto("/admin/dues/bills")
    assert page.url.endswith("/admin/dues/bills")
    assert not [e for e in errors if re.search("Content Security Policy|Refused", e)], errors
    assert not [e for e in errors if not e.startswith("Failed to load resource") or "404" not in e], errors
