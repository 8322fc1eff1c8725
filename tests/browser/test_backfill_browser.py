"""A secretary records a meeting held on paper as 补录 in a real browser, with no script on the form,
and sees the mark on the list, the calendar, the meeting, its minutes and the compliance report."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from server.timezone import local_today
from tests.browser.conftest import login, screenshot


def test_a_paper_meeting_is_entered_as_backfill_and_marked_everywhere(page: Page, demo):
    login(page, "shuji1")
    page.goto("/admin/meetings/")
    demo_row = page.locator("#meeting-table tr", has_text="重温入党誓词")
    expect(demo_row.locator(".backfill-mark")).to_have_text("补录")  # the demo's 补录, at first open
    screenshot(page, "meetings-list-backfill")

    last_week = local_today() - timedelta(days=7)
    page.goto("/admin/meetings/new")
    page.get_by_label("主题*").fill("十一月支部党员大会")
    page.get_by_label("日期*").fill(last_week.isoformat())
    page.get_by_label("开始时间*").fill("14:30")
    page.get_by_label("结束时间*").fill("16:30")
    page.get_by_role("button", name="安排").click()
    expect(page.locator(".field-error")).to_contain_text("会议开始时间已过，不能再按时安排")
    page.locator("#backfill summary").click()  # a plain <details>: no script opens it
    page.get_by_label("补录原因").fill("会议在工地召开，现场无网络，使用纸质签到表")
    screenshot(page, "meeting-form-backfill")
    page.get_by_role("button", name="安排").click()

    expect(page.locator("#backfill-notice")).to_contain_text("会议在工地召开，现场无网络，使用纸质签到表")
    expect(page.locator("#live-link")).to_have_count(0)
    page.get_by_label("党员").select_option(index=0)
    page.get_by_placeholder("原因，如：年长党员无智能手机").fill("纸质签到表")
    page.get_by_role("button", name="标记到会").click()
    expect(page.locator(".flash")).to_contain_text("已录入为到会（补录）")
    screenshot(page, "meeting-detail-backfill")
    page.goto(page.url.rstrip("/") + "/live")  # typed by hand: a 补录 has no live check-in
    expect(page.locator("#backfill-notice")).to_contain_text("不进行现场签到")
    expect(page.locator("#live-qr")).to_have_count(0)
    screenshot(page, "live-backfill")

    page.goto(f"/admin/meetings/calendar?month={last_week:%Y-%m}")
    expect(page.locator("#calendar .backfill-mark").first).to_be_visible()
    screenshot(page, "meetings-calendar-backfill")

    page.goto("/admin/meetings/")
    page.get_by_role("link", name="重温入党誓词").click()
    page.locator("#minutes-link").click()
    expect(page.locator("#backfill-notice")).to_be_visible()
    screenshot(page, "minutes-backfill")

    page.goto(f"/admin/meetings/compliance?quarter={last_week.year}-{(last_week.month - 1) // 3 + 1}")
    # the 补录 above: the quarter's only assembly, or beside the one the demo's branch held on time
    assembly = page.locator("#matrix td.cell", has_text="补录").first
    expect(assembly).to_have_attribute("title", re.compile("支部党员大会：(补录|已开；其中补录 1 次)"))
    screenshot(page, "compliance-backfill")
