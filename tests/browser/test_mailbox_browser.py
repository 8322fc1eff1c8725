"""The mailbox's admin pages in a real browser on the demo: the queue with its overdue letter highlighted, a
letter taken on and answered, the board's moderation and the statistics with their chart (screenshots)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot


def test_a_secretary_answers_an_anonymous_letter_and_moderates_the_board(page, demo):
    login(page, "shuji1")
    page.get_by_role("link", name="信箱").first.click()
    expect(page.locator("#letter-table")).to_contain_text("夜班工友的就餐问题")
    screenshot(page, "mailbox-queue")
    page.get_by_role("link", name="夜班工友的就餐问题").click()
    expect(page.locator("hgroup")).to_contain_text("匿名")
    page.get_by_role("button", name="受理").click()
    page.get_by_label("回复").fill("已与食堂商定，下周起为夜班提供加餐。")
    screenshot(page, "mailbox-letter-reply-form")
    page.get_by_role("button", name="回复", exact=True).click()
    expect(page.locator("#letter-reply")).to_contain_text("下周起为夜班提供加餐")
    screenshot(page, "mailbox-letter-replied")
    page.goto("/admin/mailbox/board")
    expect(page.locator("#post-table")).to_contain_text("义务植树")
    screenshot(page, "mailbox-board")


def test_the_committee_sees_its_overdue_letter_and_the_statistics_chart(page, demo):
    login(page, "dangwei")
    page.goto("/admin/mailbox/")
    expect(page.locator("#overdue-notice")).to_contain_text("超过回复时限")
    screenshot(page, "mailbox-committee-queue")
    page.goto("/admin/mailbox/stats?days=0")
    expect(page.locator("#chart-mailbox svg")).to_be_visible()
    screenshot(page, "mailbox-stats")
