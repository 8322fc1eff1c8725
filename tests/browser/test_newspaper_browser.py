"""The newspaper's admin pages in a real browser on the demo committee: a branch secretary composes an issue (the
body editor's toolbar, an inline image, a cover, the phone preview, the audience's live reach) and submits it;
the general branch's secretary reviews and publishes it and watches it arrive; the statistics draw their
charts. No console errors (the Content-Security-Policy forbids inline code); screenshots of every page."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from server.db import db
from server.newspaper.models import IssueStatus, NewsArticle, NewsIssue
from tests.browser.conftest import login, screenshot
from tests.browser.newspaper_world import seed_newspaper
from tests.newspaper.admin_helpers import picture
from tests.newspaper.conftest import news_template  # noqa: F401  (the deployment's newspaper template)


def _watch(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm questions: 确定
    return errors


def _logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/admin/login**")


def _jpeg(name: str, width: int, height: int) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": picture(width, height)}


def _write_article(page: Page) -> None:
    page.get_by_label("标题*").fill("冬训动员：学理论、强党性、促发展")
    page.get_by_label("摘要").fill("支部冬训安排出炉，三个专题、六次集中学习。")
    editor = page.locator("[data-editable]")
    editor.click()
    page.keyboard.type("一、总体安排")
    page.locator("[data-block=h2]").click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.locator("[data-block=p]").click()
    page.keyboard.type("冬训从12月开始，为期一个月，")
    page.locator("[data-command=bold]").click()
    page.keyboard.type("全体党员参加")
    page.locator("[data-command=bold]").click()
    page.keyboard.type("。")
    page.keyboard.press("Enter")
    with page.expect_file_chooser() as chooser:
        page.locator("[data-image]").click()
    chooser.value.set_files(files=[_jpeg("现场.jpg", 1600, 900)])
    expect(page.locator("[data-editor-status]")).to_have_text("已插入图片")
    page.set_input_files("#cover", files=[_jpeg("封面.jpg", 1200, 675)])
    expect(page.locator("#preview .mp-article__cover")).to_be_visible()  # shown before it is saved
    expect(page.locator("#preview-title")).to_have_text("冬训动员：学理论、强党性、促发展")
    expect(page.locator("#preview-body h2")).to_have_text("一、总体安排")
    expect(page.locator("#preview-body :is(b, strong)")).to_have_text("全体党员参加")
    expect(page.locator("#preview-body img")).to_be_visible()


def test_a_secretary_composes_a_colleague_publishes_and_the_statistics_draw(page: Page, demo, news_template):  # noqa: F811
    errors = _watch(page)
    seeded = seed_newspaper()
    login(page, "shuji1")
    page.get_by_role("link", name="手机报", exact=True).click()
    expect(page.locator("#issue-table")).to_contain_text("“我为群众办实事”案例选编")
    screenshot(page, "news-list")

    page.locator("#news-nav").get_by_role("button", name="新建一期").click()
    page.get_by_label("期刊标题*").fill("冬训专刊")
    screenshot(page, "news-new")
    page.get_by_role("button", name="新建", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("已新建第 5 期")
    page.locator("#add-article").click()
    _write_article(page)
    screenshot(page, "news-article-editor")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("已添加文章")
    article = db.session.scalar(sa.select(NewsArticle).where(NewsArticle.title.like("冬训动员%")))
    assert article.cover and "<h2>一、总体安排</h2>" in article.body_html
    assert re.search(r'<img src="/media/news/[0-9a-f]{32}\.jpg"', article.body_html)
    assert "<strong>全体党员参加</strong>" in article.body_html or "<b>全体党员参加</b>" in article.body_html

    page.get_by_role("link", name=re.compile("第 5 期 · 冬训专刊")).click()
    picker = page.locator("#audience-form")
    picker.locator("label", has_text="第一党小组").first.locator("input").check()
    expect(page.locator("#reach-count")).to_have_text("6")  # half the branch is in its first group
    picker.locator("input[name=org_ids]").first.check()  # the whole branch as well
    expect(page.locator("#reach-count")).to_have_text("12")
    page.get_by_role("button", name="保存发送范围").click()
    expect(page.locator("#audience-reach")).to_have_text("12")
    screenshot(page, "news-issue-draft")
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("#waiting-review")).to_be_visible()
    _logout(page)

    login(page, "zongzhi1")
    page.goto("/admin/newspaper/review")
    expect(page.locator("#review-table tbody tr", has_text="冬训专刊")).to_have_count(1)
    screenshot(page, "news-review")
    page.locator("#review-table tr", has_text="冬训专刊").get_by_role("button", name="审核").click()
    expect(page.locator("#phone-issue")).to_contain_text("冬训动员")
    screenshot(page, "news-issue-review")
    page.locator("#phone-issue").get_by_role("link", name=re.compile("冬训动员")).click()  # read it in full first
    expect(page.locator("#preview-body h2")).to_have_text("一、总体安排")
    screenshot(page, "news-article-view")
    page.get_by_role("button", name="去审核").click()
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator("#publish-form")).to_be_visible()
    screenshot(page, "news-issue-approved")
    page.locator("#publish-form").get_by_role("button", name="发布").click()
    page.locator("#progress-link").click()
    expect(page.locator("#count-inbox")).to_have_text("12", timeout=20_000)
    expect(page.locator("#progress-state")).to_contain_text("已全部送达", timeout=20_000)
    screenshot(page, "news-progress")
    issue = db.session.scalar(sa.select(NewsIssue).where(NewsIssue.title == "冬训专刊"))
    assert issue.status is IssueStatus.PUBLISHED

    page.goto(f"/admin/newspaper/{seeded['general']}/stats")
    expect(page.locator("#chart-news-articles svg")).to_be_visible()
    expect(page.locator("#chart-news-branches svg")).to_be_visible()
    screenshot(page, "news-stats")
    page.goto("/admin/newspaper/stats")
    expect(page.locator("#chart-news-issues svg")).to_be_visible()
    screenshot(page, "news-stats-overview")
    page.goto(f"/admin/newspaper/{seeded['general']}/progress")
    screenshot(page, "news-progress-seeded")
    assert not errors, errors


def test_the_committee_sees_its_published_issue_as_the_phone_will(page: Page, demo, news_template):  # noqa: F811
    errors = _watch(page)
    seeded = seed_newspaper()
    login(page, "dangwei")
    page.goto(f"/admin/newspaper/{seeded['committee']}")
    expect(page.locator("#phone-issue")).to_contain_text("安全生产月特刊")
    screenshot(page, "news-issue-published")
    page.goto(f"/admin/newspaper/{seeded['committee']}/stats")
    expect(page.locator("#chart-news-timeline svg")).to_be_visible()
    screenshot(page, "news-stats-committee")
    assert not errors, errors
