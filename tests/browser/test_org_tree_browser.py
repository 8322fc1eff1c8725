"""The organisation tree in the demo, as a branch secretary and as the committee: whole names, the order
the organisations were created in, one click to move one up, and no control that cannot be used."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import login, screenshot

GENERALS = ["机关党总支", "第一项目部党总支", "第二项目部党总支"]


def _generals_in_order(page: Page) -> list[str]:
    names = page.locator("table.tree tbody tr td:first-child, table.tree tr td:first-child").all_inner_texts()
    return [name.strip() for name in names if name.strip() in GENERALS]


def test_a_branch_secretary_sees_their_branch_and_groups_without_unusable_controls(page: Page, demo):
    login(page, "shuji1")
    page.goto("/admin/orgs/")
    rows = page.locator("table.tree tr[data-org-id]")
    expect(rows).to_have_count(3)  # 综合办公室党支部 and its two groups
    expect(rows.nth(0)).to_contain_text("综合办公室党支部")
    expect(rows.nth(1)).to_contain_text("第一党小组")
    expect(rows.nth(2)).to_contain_text("第二党小组")
    expect(rows.nth(0).get_by_role("button")).to_have_count(0)  # their own branch: the level above orders it
    expect(rows.nth(1).get_by_role("button", name="上移")).to_have_count(0)
    expect(rows.nth(1).get_by_role("button", name="下移")).to_be_visible()
    screenshot(page, "org-tree-branch-secretary")

    page.get_by_role("link", name="第一党小组").click()
    expect(page.locator("h2")).to_contain_text("第一党小组")
    expect(page.get_by_text("没有其他可以接收党小组的上级组织")).to_be_visible()
    screenshot(page, "org-detail-group")

    page.goto("/admin/members/")
    page.locator("#member-table a").first.click()
    expect(page.get_by_text("请由共同的上级党组织办理")).to_be_visible()
    expect(page.locator("#transfer-form")).to_have_count(0)


def test_the_committee_moves_a_general_branch_up_and_the_order_follows(page: Page, demo):
    login(page, "dangwei")
    page.goto("/admin/orgs/")
    assert _generals_in_order(page) == GENERALS  # as created, not by id path
    screenshot(page, "org-tree-committee")

    page.locator("tr", has_text="第二项目部党总支").get_by_role("button", name="上移").click()
    expect(page.locator(".flash")).to_contain_text("已将“第二项目部党总支”上移一位")
    assert _generals_in_order(page) == ["机关党总支", "第二项目部党总支", "第一项目部党总支"]

    page.goto("/admin/members/")
    options = [text.strip() for text in page.locator("select[name=org_id] option").all_inner_texts()]
    assert [name for name in options if name in GENERALS] == ["机关党总支", "第二项目部党总支", "第一项目部党总支"]

    page.goto("/admin/orgs/")
    page.get_by_role("link", name="第二项目部党总支").click()
    expect(page.get_by_text("第 2 位，共 3 个同级组织")).to_be_visible()
    expect(page.get_by_text("还有 4 个下级组织")).to_be_visible()
    screenshot(page, "org-detail-committee")
