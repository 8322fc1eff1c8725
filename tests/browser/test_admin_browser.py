"""A secretary at a PC: log in, look at the dashboard, import a spreadsheet and watch it finish,
edit a member, export, and be refused another branch's member."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from server.db import db
from server.members.models import Member
from server.orgs.models import Organisation
from tests.browser.conftest import login, screenshot


def _workbook(path) -> object:
    return load_workbook(io.BytesIO(Path(path).read_bytes()))  # downloads are saved without an extension


def _download_template(page: Page):
    page.goto("/admin/members/import")
    with page.expect_download() as download:
        page.locator("#template-link").click()
    return _workbook(download.value.path())


def _upload(page: Page, book, filename: str) -> None:
    buffer = io.BytesIO()
    book.save(buffer)
    page.set_input_files(
        "input[name=file]",
        files=[{"name": filename, "mimeType": "application/octet-stream", "buffer": buffer.getvalue()}],
    )
    page.get_by_role("button", name="上传并导入").click()


def _member_in(branch_name: str) -> Member:
    return db.session.scalar(
        sa.select(Member).join(Organisation, Organisation.id == Member.org_id).where(Organisation.name == branch_name)
    )


def test_dashboard_shows_the_committee_in_charts(page: Page, demo):
    login(page, "dangwei")
    expect(page.locator("#member-total")).to_have_text("144")
    expect(page.locator("#chart-units svg")).to_be_visible()
    expect(page.locator("#chart-units")).to_contain_text("机关党总支")
    expect(page.locator("#chart-age svg")).to_be_visible()
    screenshot(page, "dashboard")


def test_member_list_searches_as_you_type(page: Page, demo):
    login(page, "zongzhi1")
    page.goto("/admin/members/")
    expect(page.locator("#member-count")).to_have_text("48")
    screenshot(page, "member-list")
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet held upright
    expect(page.locator("#member-table")).to_be_visible()
    screenshot(page, "member-list-tablet")
    name = _member_in("综合办公室党支部").name
    scope = db.session.scalar(sa.select(Organisation.path).where(Organisation.name == "机关党总支"))
    same_name = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Member)
        .join(Organisation, Organisation.id == Member.org_id)
        .where(Member.name.contains(name), Organisation.path.startswith(scope))
    )
    page.get_by_placeholder("如 张三 或 zhang").fill(name)
    expect(page.locator("#member-count")).to_have_text(str(same_name))  # the table was replaced without a reload
    expect(page.locator("#member-table tbody tr").first).to_contain_text(name)
    assert "q=" in page.url  # the filter is kept in the address, for the back button and bookmarks


def test_import_a_spreadsheet_and_watch_it_finish(page: Page, demo):
    login(page, "shuji1")
    book = _download_template(page)
    sheet = book["党员名册"]
    branch = book["支部列表"]["A1"].value
    rows = [
        [
            "陈建国",
            "男",
            "汉族",
            "1975-03-12",
            "13812340001",
            "11010519491231002X",
            "大学本科",
            "综合办公室",
            "主任",
            "2001-07-01",
            "2002-07-01",
            "正式党员",
            "在职",
            "8600",
            branch,
            "",
        ],
        [
            "林晓红",
            "女",
            "汉族",
            "1996-10-02",
            "13812340002",
            "",
            "研究生",
            "综合办公室",
            "科员",
            "2025-06-30",
            "",
            "预备党员",
            "在职",
            "5200.50",
            branch,
            "",
        ],
    ]
    for row in rows:
        sheet.append(row)
    _upload(page, book, "新党员.xlsx")
    expect(page.locator("#import-state")).to_contain_text("导入完成，共导入 2 名党员", timeout=15_000)
    screenshot(page, "import-done")
    page.goto("/admin/members/?q=林晓红")
    expect(page.locator("#member-table")).to_contain_text("预备党员")


def test_import_with_bad_rows_lists_every_error(page: Page, demo):
    login(page, "shuji1")
    book = _download_template(page)
    sheet = book["党员名册"]
    sheet.append(
        [
            "",
            "男",
            "",
            "1975-03-12",
            "12345",
            "110105194912310021",
            "",
            "",
            "",
            "",
            "",
            "正式党员",
            "在职",
            "",
            "不存在的支部",
            "",
        ]
    )
    _upload(page, book, "有误.xlsx")
    expect(page.locator("#import-state")).to_contain_text("整份文件未导入", timeout=15_000)
    errors = page.locator("#import-errors")
    for text in ("姓名", "手机号", "身份证号", "所在支部"):
        expect(errors).to_contain_text(text)
    screenshot(page, "import-errors")


def test_edit_a_member_and_export(page: Page, demo):
    login(page, "shuji1")
    member = _member_in("综合办公室党支部")
    page.goto(f"/admin/members/{member.id}")
    page.locator("#edit-link").click()
    page.get_by_label("职务").fill("党建工作专员")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flash")).to_have_text("已保存")
    expect(page.locator("main")).to_contain_text("党建工作专员")
    screenshot(page, "member-detail")
    page.goto("/admin/members/")
    with page.expect_download() as download:
        page.locator("#export-link").click()
    sheet = _workbook(download.value.path()).active
    phones = [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(phones) == 12 and all("****" in phone for phone in phones)


def test_another_branch_member_is_refused(page: Page, demo):
    login(page, "shuji1")
    stranger = _member_in("沪昆高铁项目党支部")
    response = page.goto(f"/admin/members/{stranger.id}")
    assert response.status == 404  # the same answer as a member who does not exist
    expect(page.locator("main")).to_contain_text("党员不存在")
    expect(page.locator("main")).not_to_contain_text(stranger.name)
    screenshot(page, "refused")
