"""三会一课落实情况 and 出勤率 at first open of the demo, as a branch secretary and as the committee:
the matrix reads at a glance, its header stays in view, and a missing cell opens the meeting form."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, login, screenshot


def test_the_committee_reads_the_matrix_and_schedules_a_missing_meeting(page: Page, demo):
    login(page, "dangwei")
    page.goto("/admin/meetings/compliance")

    expect(page.locator("#matrix tbody tr")).to_have_count(12)
    expect(page.locator("#legend li")).to_have_count(5)
    expect(page.locator("#matrix th.period.current").first).to_contain_text("当前")
    lagging = page.locator("#matrix tbody tr", has_text="渝湘高速项目党支部")
    expect(lagging.locator("td.cell-missing").first).to_be_visible()
    newest = page.locator("#matrix tbody tr", has_text="青年突击队党支部")
    expect(newest.locator("td.cell-before").first).to_contain_text("未建立")
    screenshot(page, "compliance-committee")

    page.set_viewport_size({"width": 1366, "height": 420})
    page.locator("#matrix tbody tr").last.scroll_into_view_if_needed()  # the table's top is above the window
    assert page.locator("#matrix").bounding_box()["y"] < 0
    assert abs(page.locator("#matrix thead").bounding_box()["y"]) < 2  # yet its header stays at the top
    page.screenshot(path=str(SCREENSHOTS / "compliance-committee-scrolled.png"))  # the window, as seen
    page.set_viewport_size({"width": 1366, "height": 900})

    lagging.locator("td.cell-missing a").first.click()
    expect(page.locator("h2")).to_have_text("安排会议")
    expect(page.locator("#organiser_id option:checked")).to_have_text("渝湘高速项目党支部")
    expect(page.locator("#title")).not_to_have_value("")

    page.goto("/admin/meetings/attendance")
    expect(page.locator("#lowest-heading")).to_contain_text("出勤率低于 80% 的党员")
    screenshot(page, "attendance-committee")


def test_a_branch_secretary_sees_their_own_row(page: Page, demo):
    login(page, "shuji1")
    page.goto("/admin/meetings/compliance")

    expect(page.locator("#matrix tbody tr")).to_have_count(1)
    expect(page.locator("#matrix tbody tr")).to_contain_text("综合办公室党支部")
    screenshot(page, "compliance-secretary")

    page.locator("#previous-quarter").click()
    expect(page.locator("h2")).to_contain_text("季度")
    screenshot(page, "compliance-secretary-previous-quarter")
