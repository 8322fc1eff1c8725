"""The quiz pages in a real browser on the demo data: the list, an exam's results with their charts, a bank,
the builder, the contest screen a secretary projects and the points leaderboard, with no console errors
(the CSP forbids inline scripts)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import login, screenshot
from tests.browser.test_dues_browser import _no_console_errors


def test_a_committee_admin_reads_results_banks_and_the_contest_screen(page: Page, demo):
    errors = _no_console_errors(page)
    login(page, "dangwei")
    page.get_by_role("link", name="学习答题", exact=True).click()
    expect(page.locator("#quiz-table tbody tr")).to_have_count(3)
    screenshot(page, "quizzes-list")
    page.get_by_role("link", name="2026年第四季度党章党规知识测试").click()
    expect(page.locator("#kpi-participants")).not_to_have_text("0")
    expect(page.locator("#chart-distribution svg")).to_have_count(1)
    expect(page.locator("#chart-branches svg")).to_have_count(1)
    expect(page.locator("#chart-questions svg")).to_have_count(1)
    screenshot(page, "quizzes-results")
    with page.expect_download() as download:
        page.locator("#results-export").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.locator("#quiz-nav").get_by_role("button", name="题库").click()
    page.get_by_role("link", name="党章党规知识题库").click()
    expect(page.locator("#question-list tbody tr")).not_to_have_count(0)
    page.locator("#bank-import summary").click()
    screenshot(page, "quizzes-bank")
    page.goto("/admin/quizzes/new")
    expect(page.locator("#quiz-form")).to_contain_text("党章党规知识题库")
    screenshot(page, "quizzes-builder")
    page.goto("/admin/quizzes/")
    page.get_by_role("link", name=re.compile("知识竞答赛")).click()
    with page.context.expect_page() as opened:
        page.locator("#open-screen").click()
    screen = opened.value
    expect(screen.locator("#standings tbody tr").first).to_contain_text("1")
    expect(screen.locator("#submitted")).not_to_have_text("0")
    screenshot(screen, "quizzes-contest-screen")
    screen.close()
    page.locator("#quiz-nav").get_by_role("button", name="积分排行").click()
    expect(page.locator("#points-table tbody tr")).not_to_have_count(0)
    screenshot(page, "quizzes-points")
    assert not [e for e in errors if re.search("Content Security Policy|Refused", e)], errors
    assert not [e for e in errors if not e.startswith("Failed to load resource") or "404" not in e], errors


def test_a_secretary_builds_and_publishes_a_practice(page: Page, demo):
    errors = _no_console_errors(page)
    login(page, "shuji1")
    page.goto("/admin/quizzes/new")
    page.get_by_label("类型*").select_option("practice")
    page.get_by_label("名称*").fill("支部每周一练")
    page.get_by_label("结束时间").fill("")
    page.get_by_label("答题时长（分钟）").fill("")
    page.get_by_label("每人作答次数").fill("")
    page.get_by_label("及格线（%）").fill("")
    page.get_by_label("每份抽题数*").fill("5")
    page.locator("input[name=bank_ids]").first.check()
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".flash")).to_contain_text("已保存草稿")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#publish").click()
    expect(page.locator(".flash")).to_contain_text("已发布")
    screenshot(page, "quizzes-published")
    assert not [e for e in errors if not e.startswith("Failed to load resource") or "404" not in e], errors
