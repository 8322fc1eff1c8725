"""The first hour, drawn: the dashboard as a branch secretary and as the committee, the projector page of
the demo's meeting under way and the arrears page, screenshotted (test-artifacts/screenshots/) and read
for what a secretary would notice: empty panels, clipped chart labels, the role said twice."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from server.admin.models import DashboardCount
from server.db import db
from server.meetings.live_demo import live_meeting
from tests.browser.chart_checks import chart_problems, wait_for_charts
from tests.browser.conftest import login, screenshot
from tests.browser.test_dues_browser import _no_console_errors


@pytest.mark.parametrize("account", ["shuji1", "dangwei"])
def test_the_dashboard_reads_at_a_glance(page: Page, demo, account: str):
    errors = _no_console_errors(page)
    page.set_viewport_size({"width": 1366, "height": 768})  # the committee's laptops
    login(page, account)
    for panel in ("#panel-meetings", "#panel-dues", "#panel-newspaper"):
        expect(page.locator(panel)).to_contain_text("%")
        expect(page.locator(f"{panel} h3 a")).to_have_attribute("href", re.compile(r"^/admin/"))
    expect(page.locator("#panel-meetings")).to_contain_text("场待召开")
    expect(page.locator("#panel-newspaper")).to_contain_text("阅读率")
    scope = page.locator("#scope").inner_text()
    assert scope.count("书记") + scope.count("管理员") == 1, scope  # the role said once
    # the top bar on one row: the brand, the links and the account side by side, none below another
    rows = page.evaluate(
        "() => [...document.querySelectorAll('.topbar nav > ul')]"
        ".map(ul => { const r = ul.getBoundingClientRect(); return [r.top, r.bottom]; })"
    )
    assert len(rows) == 3 and max(top for top, _ in rows) < min(bottom for _, bottom in rows), rows
    wait_for_charts(page)
    screenshot(page, f"dashboard--{account}")
    assert chart_problems(page) == []
    # every panel's heading opens its page
    page.locator("#panel-dues h3 a").click()
    expect(page.locator("main")).to_contain_text("党费")
    assert errors == []


def test_the_projector_page_of_the_meeting_under_way_is_alive(page: Page, demo):
    meeting = live_meeting()
    assert meeting is not None
    login(page, "shuji1")
    page.goto(f"/admin/meetings/{meeting.id}/live")
    expect(page.locator("#live-qr")).to_be_visible()
    arrived = int(page.locator("#arrived-count").inner_text())
    assert arrived >= 5
    screenshot(page, "live-meeting--projector")
    db.session.remove()


def test_the_arrears_page_shows_one_member_a_month_short_of_the_line(page: Page, demo):
    login(page, "shuji1")
    page.goto("/admin/dues/arrears")
    near = page.locator("#arrears-members tr", has_text="5 个月")
    expect(near).to_have_count(1)
    expect(near).to_contain_text("本月不缴将满 6 个月")
    screenshot(page, "dues-arrears--shuji1")


def test_the_committee_reads_the_minute_count_and_is_told_when(page: Page, demo, monkeypatch):
    """A committee large enough for the periodic count: the same panels, and when they were counted."""
    from server.admin import dashboard_counts
    from server.timezone import to_local

    monkeypatch.setattr(dashboard_counts, "LARGE_FROM_ORGS", 2)
    assert dashboard_counts.refresh() > 0
    db.session.remove()
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, "dangwei")
    counted = page.locator("#counted-at")
    expect(counted).to_contain_text("本页数字统计于")
    hour = to_local(db.session.scalar(sa.select(sa.func.max(DashboardCount.counted_at)))).strftime("%H:")
    assert hour in counted.inner_text()
    expect(page.locator("#panel-meetings")).to_contain_text("场待召开")
    wait_for_charts(page)
    screenshot(page, "dashboard--dangwei-counted")
    assert chart_problems(page) == []
    db.session.remove()
