"""Notices in a real browser on the demo committee: a branch secretary composes a notice (the audience picker's
live reach), watches the receipts, reminds and exports; the committee reviews the general branch's notice.
No console errors (the Content-Security-Policy forbids inline code); screenshots of every page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import login, screenshot


def _where(message) -> str:
    return (message.location or {}).get("url", "")


def _watch(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "favicon" not in _where(m) else None)
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
    )
    page.on("dialog", lambda dialog: dialog.accept())
    return errors


def test_a_secretary_sends_a_notice_and_follows_its_receipts(page: Page, demo):
    errors = _watch(page)
    login(page, "shuji1")
    page.get_by_role("link", name="通知公告", exact=True).click()
    expect(page.locator("#notice-table tbody tr")).to_have_count(2)
    screenshot(page, "notices-list")

    page.get_by_role("link", name="明天下午三点召开支部党员大会").click()
    expect(page.locator("#count-acked")).not_to_have_text("0")
    screenshot(page, "notices-receipts")
    page.locator("#remind-button").click()
    expect(page.locator(".flash")).to_contain_text("次提醒")
    with page.expect_download() as download:
        page.locator("#export-link").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    page.goto("/admin/notices/new")
    expect(page.locator("#reach-count")).to_have_text("12")
    page.get_by_label("标题*（不超过 40 字）").fill("周五上午九点开展主题党日活动")
    page.get_by_label("内容（不超过 1000 字）").fill("地点：项目部会议室。")
    screenshot(page, "notices-compose-initial")
    page.locator("#picker input[name=org_ids]").first.uncheck()
    expect(page.locator("#reach")).to_contain_text("")
    page.locator(".notice-members summary").click()
    page.locator("input[name=member_ids]").nth(0).check()
    page.locator("input[name=member_ids]").nth(1).check()
    expect(page.locator("#reach-count")).to_have_text("2")
    page.locator("#ack_required").check()
    screenshot(page, "notices-compose")
    page.locator("#send-button").click()
    expect(page.locator(".flash")).to_contain_text("已发送给 2 名党员")
    assert errors == []


def test_the_committee_reviews_the_general_branchs_notice(page: Page, demo):
    errors = _watch(page)
    login(page, "dangwei")
    page.goto("/admin/notices/review")
    expect(page.locator(".notice-review")).to_have_count(1)
    screenshot(page, "notices-review")
    page.locator(".notice-review button", has_text="审核通过").click()
    expect(page.locator("#review-empty")).to_be_visible()
    page.goto("/admin/notices/")
    page.get_by_role("link", name="通知规则").click()
    expect(page.locator("#review_above")).to_have_value("20")
    screenshot(page, "notices-settings")
    assert errors == []
