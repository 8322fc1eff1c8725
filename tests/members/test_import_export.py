"""Importing the member register from Excel and exporting it, as a branch secretary does it in the web admin."""

from __future__ import annotations

import io
import re
import time
import tracemalloc
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import qrcode
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from server import spreadsheets
from server.audit.models import AuditLog
from server.auth.models import Role
from server.db import db
from server.members import imports
from server.members.models import DuesCategory, Member, MemberImport, MemberStatus
from server.members.tasks import run_member_import
from server.orgs.models import OrgKind
from server.spreadsheets import XLSX_CONTENT_TYPE as XLSX
from server.tasks import huey, run_pending_jobs
from tests.hostile_files import SHARED_STRINGS, UnreadableBody, multipart, shared_strings_bomb, with_declared_size

IMPORT = "/admin/members/import"
TEMPLATE = "/admin/members/import/template.xlsx"
EXPORT = "/admin/members/export.xlsx"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_card(first17: str) -> str:
    """A resident ID number with its GB 11643 check character."""
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def person(name: str, branch: str = "甲一支部", **cells: Any) -> dict[str, Any]:
    """One register row keyed by the template's column titles (without the required-marker *)."""
    return {"姓名": name, "性别": "男", "党员状态": "预备党员", "党费类别": "在职", "所在支部": branch} | cells


def fill(template: bytes, rows: list[dict[str, Any]]) -> bytes:
    """What a secretary does: open the downloaded template and type rows under the header."""
    book = load_workbook(io.BytesIO(template))
    sheet = book["党员名册"]
    columns = {cell.value.rstrip("*"): cell.column for cell in sheet[1]}
    for offset, row in enumerate(rows, start=2):
        for title, value in row.items():
            sheet.cell(row=offset, column=columns[title], value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_sheet(content: bytes, old: str, new: str) -> bytes:
    """Edit the first sheet's XML, to build files as other programs write them."""
    source, target = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text, count = re.subn(old, new, data.decode())
                assert count == 1, f"{old!r} not found once in the sheet"
                data = text.encode()
            out.writestr(item, data)
    return target.getvalue()


def workbook_bytes(rows: list[list[Any]], *, write_only: bool = False) -> bytes:
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("党员名册") if write_only else book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(browser, content: bytes, filename: str = "党员名册.xlsx"):
    return browser.client.post(IMPORT, **multipart({"csrf_token": browser.token, "file": (content, filename)}))


def import_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/admin/members/import/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def progress(browser, job_id: int) -> dict[str, Any]:
    response = browser.get(f"{IMPORT}/{job_id}.json")
    assert response.status_code == 200
    return response.get_json()


def import_file(browser, content: bytes) -> dict[str, Any]:
    """Upload, let the worker run, and read the final status as the status page does."""
    job_id = import_id(upload(browser, content))
    run_pending_jobs()
    return progress(browser, job_id)


def member_count() -> int:
    db.session.rollback()  # see what the requests and the job committed
    return db.session.scalar(sa.select(sa.func.count()).select_from(Member)) or 0


def error_text(response) -> tuple[str | None, str]:
    html = response.get_data(as_text=True)
    match = re.search(r'data-code="([^"]*)">([^<]*)<', html)
    return (match.group(1), match.group(2)) if match else (None, html)


@pytest.fixture
def secretary(tree, make_admin, browser):
    """The secretary of 甲一支部, logged in."""
    make_admin("shuji", Role.SECRETARY, tree["a1"], display_name="王书记")
    return browser("shuji")


@pytest.fixture
def template(secretary) -> bytes:
    response = secretary.get(TEMPLATE)
    assert response.status_code == 200
    return response.get_data()


# --- the template ---------------------------------------------------------------------------------------


def branch_choices(content: bytes) -> list[str]:
    """The values of the drop-down list on the 所在支部 column."""
    book = load_workbook(io.BytesIO(content))
    sheet = book["党员名册"]
    column = next(cell.column_letter for cell in sheet[1] if cell.value == "所在支部*")
    (validation,) = [v for v in sheet.data_validations.dataValidation if str(v.sqref).startswith(f"{column}2:")]
    match = re.fullmatch(r"'?([^'!]+)'?!\$A\$1:\$A\$(\d+)", validation.formula1)
    assert match, validation.formula1
    lists = book[match.group(1)]
    return [lists.cell(row=row, column=1).value for row in range(1, int(match.group(2)) + 1)]


def test_template_is_a_workbook_with_the_register_headers(secretary):
    response = secretary.get(TEMPLATE)
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.get_data()))["党员名册"]
    header = [cell.value for cell in sheet[1]]
    assert header[:2] == ["姓名*", "性别*"]
    assert {
        "身份证号",
        "手机号",
        "出生日期",
        "入党日期",
        "党员状态*",
        "党费类别*",
        "月缴费基数（元）",
        "所在支部*",
    } <= set(header)


def test_template_branch_list_holds_only_the_branches_in_scope(tree, make_admin, browser, secretary):
    assert branch_choices(secretary.get(TEMPLATE).get_data()) == ["甲一支部"]
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    assert branch_choices(browser("zongzhi").get(TEMPLATE).get_data()) == ["甲一支部", "甲二支部"]


def test_template_qualifies_clashing_branch_names_and_keeps_names_with_a_slash(tree, make_org, make_admin, browser):
    make_org("第一支部", OrgKind.BRANCH, tree["general_a"])
    make_org("第一支部", OrgKind.BRANCH, tree["general_b"])
    make_org("机关/后勤支部", OrgKind.BRANCH, tree["general_b"])
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])
    choices = branch_choices(browser("dangwei").get(TEMPLATE).get_data())
    assert sorted(choices) == sorted(
        ["甲一支部", "甲二支部", "乙一支部", "甲党总支/第一支部", "乙党总支/第一支部", "机关/后勤支部"]
    )


def test_committee_member_cannot_download_the_template_or_import(tree, make_admin, browser):
    make_admin("weiyuan", Role.COMMITTEE, tree["a1"])
    reader = browser("weiyuan")
    assert reader.get(TEMPLATE).status_code == 403
    assert upload(reader, workbook_bytes([["姓名"]])).status_code == 403


# --- a good import --------------------------------------------------------------------------------------


def test_three_good_rows_are_imported_with_their_fields_and_audit_records(tree, secretary, template):
    rows = [
        person(
            "张三",
            性别="男",
            民族="回族",
            出生日期=datetime(1985, 3, 2),
            手机号="13812345678",
            身份证号=id_card("11010519850302001"),
            学历="大学本科",
            工作单位="第三项目部",
            职务="技术员",
            入党日期=datetime(2010, 7, 1),
            转正日期=datetime(2011, 7, 1),
            党员状态="正式党员",
            党小组="第一党小组",
            **{"月缴费基数（元）": "4500.5"},
        ),
        person(
            "李四",
            性别="女",
            出生日期="1990/3/7",
            手机号=13987654321,
            身份证号="11010519491231002x",
            入党日期="2015年7月1日",
            党费类别="离退休",
            **{"月缴费基数（元）": 3200},
        ),
        person("欧阳娜娜", 性别="女", 党费类别="学生"),
    ]
    content = fill(template, rows)
    before = member_count()

    response = upload(secretary, content)
    job_id = import_id(response)
    assert secretary.get(response.headers["Location"]).status_code == 200
    queued = progress(secretary, job_id)
    assert queued["status"] == "queued" and queued["finished"] is False
    assert member_count() == before  # nothing happens before the worker runs

    assert run_pending_jobs() == 1
    done = progress(secretary, job_id)
    assert done["status"] == "done" and done["finished"] is True
    assert (done["created_count"], done["total_rows"], done["processed_rows"], done["errors"]) == (3, 3, 3, [])
    assert member_count() == before + 3

    members = {m.name: m for m in db.session.scalars(sa.select(Member))}
    zhang, li, ouyang = members["张三"], members["李四"], members["欧阳娜娜"]
    assert zhang.org_id == tree["a1"].id and zhang.group_id == tree["a1_group"].id
    assert (zhang.ethnicity, zhang.birth_date, zhang.phone) == ("回族", date(1985, 3, 2), "13812345678")
    assert (zhang.join_date, zhang.full_member_date, zhang.status) == (
        date(2010, 7, 1),
        date(2011, 7, 1),
        MemberStatus.FULL,
    )
    assert (zhang.education, zhang.work_unit, zhang.position) == ("大学本科", "第三项目部", "技术员")
    assert zhang.dues_base_fen == 450050
    assert zhang.name_sort == "zhang san"
    assert li.id_card == "11010519491231002X"
    assert (li.birth_date, li.join_date, li.phone) == (date(1990, 3, 7), date(2015, 7, 1), "13987654321")
    assert (li.dues_category, li.dues_base_fen, li.ethnicity) == (DuesCategory.RETIRED, 320000, "汉族")
    assert (ouyang.name_sort, ouyang.dues_base_fen, ouyang.id_card, ouyang.group_id) == ("ou yang na na", 0, None, None)

    audits = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "member.create")).all()
    assert {a.entity_id for a in audits} == {m.id for m in members.values()}
    assert {(a.actor_kind, a.actor_name) for a in audits} == {("admin", "王书记")}
    zhang_audit = next(a for a in audits if a.entity_id == zhang.id)
    assert zhang_audit.org_id == tree["a1"].id
    assert zhang_audit.after["id_card"] == zhang.id_card[:6] + "*" * 8 + zhang.id_card[-4:]
    assert zhang_audit.after["phone"] == "138****5678"
    assert zhang_audit.after["created_at"] is not None


def test_import_history_is_listed_on_the_import_page(secretary, template):
    import_file(secretary, fill(template, [person("张三")]))
    page = secretary.get(IMPORT).get_data(as_text=True)
    assert "党员名册.xlsx" in page and "1 人" in page


# --- bad rows -------------------------------------------------------------------------------------------


def test_bad_rows_are_all_listed_and_nothing_is_imported(tree, make_member, secretary, template):
    registered = id_card("11010519800101001")
    make_member(tree["a1"], "老党员", id_card=registered)
    good_card = id_card("11010519850302001")
    bad_checksum = good_card[:-1] + ("0" if good_card[-1] != "0" else "1")
    rows = [
        person("张三", 身份证号=good_card),  # row 2: fine on its own
        person("李四", 身份证号=bad_checksum),  # row 3
        person(None, 手机号="13800000001"),  # row 4: no name
        person("王五", branch="不存在的支部"),  # row 5
        person("赵六", branch="甲二支部"),  # row 6: a sibling branch, outside the secretary's scope
        person("孙七", 性别="未知"),  # row 7
        person("周八", 出生日期="1985-13-45"),  # row 8
        person("吴九", 身份证号=good_card.lower()),  # row 9: same person as row 2
        person("郑十", 身份证号=registered),  # row 10: already in the register
        person("钱一", 手机号=99999999999),  # row 11: Excel turned the phone into 1.38123E+10
        person("陈二", 手机号="1.38123E+10"),  # row 12: the same, pasted as text
    ]
    content = fill(template, rows)
    content = rewrite_sheet(content, r"<v>99999999999</v>", "<v>1.38123E+10</v>")
    before = member_count()

    status = import_file(secretary, content)

    assert status["status"] == "failed" and status["created_count"] == 0
    found = {(error["row"], error["column"]) for error in status["errors"]}
    assert found == {
        (3, "身份证号"),
        (4, "姓名"),
        (5, "所在支部"),
        (6, "所在支部"),
        (7, "性别"),
        (8, "出生日期"),
        (9, "身份证号"),
        (10, "身份证号"),
        (11, "手机号"),
        (12, "手机号"),
    }
    assert all(CHINESE.search(error["message"]) for error in status["errors"])
    messages = {(error["row"], error["column"]): error["message"] for error in status["errors"]}
    assert "第 2 行" in messages[(9, "身份证号")]
    assert "已登记" in messages[(10, "身份证号")]
    assert "科学计数法" in messages[(11, "手机号")] and "科学计数法" in messages[(12, "手机号")]
    assert "男" in messages[(7, "性别")]
    assert [error["row"] for error in status["errors"]] == sorted(error["row"] for error in status["errors"])
    assert member_count() == before
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "member.create"))
        == 1
    )


def test_id_card_number_mangled_by_excel_is_explained(secretary, template):
    status = import_file(secretary, fill(template, [person("张三", 身份证号=1.10105198503020e17)]))
    assert status["status"] == "failed"
    (error,) = status["errors"]
    assert (error["row"], error["column"]) == (2, "身份证号") and "科学计数法" in error["message"]


def test_same_name_branches_must_be_qualified(tree, make_org, make_admin, browser):
    make_org("第一支部", OrgKind.BRANCH, tree["general_a"])
    make_org("第一支部", OrgKind.BRANCH, tree["general_b"])
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])
    admin = browser("dangwei")
    template = admin.get(TEMPLATE).get_data()

    failed = import_file(admin, fill(template, [person("张三", branch="第一支部")]))
    assert failed["status"] == "failed" and "上级组织/支部名" in failed["errors"][0]["message"]

    done = import_file(admin, fill(template, [person("张三", branch="乙党总支／第一支部")]))
    assert done["status"] == "done"
    member = db.session.scalar(sa.select(Member).where(Member.name == "张三"))
    assert member.org.parent_id == tree["general_b"].id


# --- files that are not a register ----------------------------------------------------------------------


def assert_refused(response, code: str) -> str:
    assert response.status_code == 400
    found, message = error_text(response)
    assert found == code
    assert CHINESE.search(message)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MemberImport)) == 0
    assert huey.pending_count() == 0
    return message


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    qrcode.make("not a spreadsheet").save(buffer, format="PNG")
    return buffer.getvalue()


def docx_like_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("姓名,性别\n张三,男\n".encode(), id="text"),
        pytest.param(None, id="png"),
        pytest.param(b"", id="zip"),
    ],
)
def test_a_file_that_is_not_excel_is_refused_at_once(secretary, content):
    content = {None: png_bytes(), b"": docx_like_zip()}.get(content, content)
    message = assert_refused(upload(secretary, content, "党员名册.xlsx"), "not_excel")
    assert "Excel" in message


def test_a_csv_file_is_refused(secretary):
    message = assert_refused(upload(secretary, "姓名,性别\n张三,男\n".encode(), "党员名册.csv"), "not_excel")
    assert ".xlsx" in message


def test_no_file_is_refused(secretary):
    response = secretary.post(IMPORT, data={}, content_type="multipart/form-data")
    assert_refused(response, "no_file")


def test_a_wrong_header_row_fails_the_import_with_the_missing_columns(secretary):
    """The header is read by the job, like every other part of the sheet: nothing is parsed in the request."""
    status = import_file(secretary, workbook_bytes([["名字", "性别", "支部"], ["张三", "男", "甲一支部"]]))
    assert status["status"] == "failed" and status["finished"] is True
    assert "姓名" in status["message"] and "所在支部" in status["message"]
    assert member_count() == 0


def test_a_blank_workbook_fails_the_import(secretary):
    status = import_file(secretary, workbook_bytes([]))
    assert status["status"] == "failed" and "表头缺少必填列" in status["message"]


def test_a_template_without_rows_fails_with_a_message(secretary, template):
    status = import_file(secretary, template)
    assert status["status"] == "failed" and status["finished"] is True
    assert "没有党员数据" in status["message"]
    assert member_count() == 0


# --- files built to take the server down -----------------------------------------------------------------

MB = 1024 * 1024


def measured(action):
    """(result, seconds, peak MB of Python allocations) of ``action()``."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = action()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, time.perf_counter() - started, peak / MB


def test_a_zip_bomb_is_refused_at_once_without_being_unpacked(secretary, template):
    """0.5 MB on the wire, 200 MB of shared strings once unpacked: it used to take 910 MB and 70 s of
    the web request. Now the zip's directory alone gives it away."""
    bomb = shared_strings_bomb(template, megabytes=200)
    assert len(bomb) < MB

    response, seconds, peak = measured(lambda: upload(secretary, bomb))
    message = assert_refused(response, "unpacks_too_large")
    assert "过大" in message
    assert seconds < 2 and peak < 20, (seconds, peak)


def test_an_upload_over_5_mb_is_refused_before_its_body_is_read(secretary):
    response = secretary.client.post(
        IMPORT,
        input_stream=UnreadableBody(6 * MB),
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 413
    code, message = error_text(response)
    assert code == "upload_too_large" and "5 MB" in message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MemberImport)) == 0


def test_a_6_mb_workbook_is_refused_with_the_limit(secretary):
    padded = io.BytesIO()
    with zipfile.ZipFile(padded, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/media/image1.png", b"\x00" * (6 * MB))
    response = upload(secretary, padded.getvalue())
    assert response.status_code == 413
    assert "5 MB" in error_text(response)[1]
    assert huey.pending_count() == 0


def test_an_archive_lying_about_its_size_ends_the_import_with_a_reason(secretary, template):
    """The directory says 1 KB, the data unpacks to 50 MB: it passes the cheap check, and the job that
    reads it stops at what was declared and tells the secretary on the progress page."""
    liar = with_declared_size(shared_strings_bomb(template, megabytes=50), SHARED_STRINGS, 1000)
    job_id = import_id(upload(secretary, liar))

    _, seconds, peak = measured(run_pending_jobs)
    assert seconds < 5 and peak < 40, (seconds, peak)
    status = progress(secretary, job_id)
    assert status["status"] == "failed" and "不是有效的 Excel" in status["message"]
    page = secretary.get(f"{IMPORT}/{job_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "整份文件未导入" in page and "不是有效的 Excel" in page and "hx-trigger" not in page
    assert member_count() == 0
    assert db.session.get(MemberImport, job_id).content is None


def test_a_string_table_too_large_to_hold_ends_the_import_with_a_reason(secretary, template, monkeypatch):
    """Distinct strings pack only 8 to 1, so the directory looks sane; the job stops at the table's bound."""
    monkeypatch.setattr(spreadsheets, "XLSX_MAX_SHARED_STRINGS", 256 * 1024)
    job_id = import_id(upload(secretary, shared_strings_bomb(template, megabytes=1, unique=True)))
    run_pending_jobs()
    status = progress(secretary, job_id)
    assert status["status"] == "failed" and "解压后的内容过大" in status["message"]
    assert member_count() == 0


def test_a_formula_in_the_file_never_enters_the_register(tree, secretary, template):
    """Cells are read as values: a formula's text is not stored (and this one has no value to store)."""
    content = fill(template, [person('=HYPERLINK("http://evil.example","张三")')])
    status = import_file(secretary, content)
    assert status["status"] == "failed" and status["errors"][0]["column"] == "姓名"
    assert member_count() == 0


# --- files written by other programs --------------------------------------------------------------------


def test_rows_past_a_wrong_sheet_size_are_still_read(secretary, template):
    """Some programs write a wrong <dimension>; no row may be dropped because of it."""
    content = fill(template, [person("张三"), person("李四"), person("王五")])
    content = rewrite_sheet(content, r'<dimension ref="[^"]+"\s*/>', '<dimension ref="A1" />')
    status = import_file(secretary, content)
    assert (status["status"], status["created_count"]) == ("done", 3)
    assert status["processed_rows"] == status["total_rows"] == 3


def test_a_sheet_without_size_is_counted(secretary, template):
    """Streaming writers leave out the sheet size; the total still shows on the status page."""
    header = [cell.value for cell in load_workbook(io.BytesIO(template))["党员名册"][1]]
    required = {"性别*": "男", "党员状态*": "预备党员", "党费类别*": "在职", "所在支部*": "甲一支部"}
    rows = [header] + [
        [name if title == "姓名*" else required.get(title) for title in header] for name in ("张三", "李四")
    ]
    status = import_file(secretary, workbook_bytes(rows, write_only=True))
    assert (status["status"], status["created_count"], status["total_rows"]) == ("done", 2, 2)


def test_empty_rows_someone_formatted_do_not_count_as_too_many(secretary, template):
    """Formatting thousands of empty rows as text makes the file state a size far beyond its data."""
    content = fill(template, [person("张三"), person("李四")])
    content = rewrite_sheet(content, r'<dimension ref="[^"]+"\s*/>', '<dimension ref="A1:P60000" />')
    status = import_file(secretary, content)
    assert (status["status"], status["created_count"], status["total_rows"]) == ("done", 2, 2)


@pytest.mark.parametrize("stated", [True, False], ids=["size-stated", "size-understated"])
def test_too_many_rows_are_refused(secretary, template, monkeypatch, stated):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    content = fill(template, [person(f"党员{n}") for n in range(4)])
    if not stated:
        content = rewrite_sheet(content, r'<dimension ref="[^"]+"\s*/>', '<dimension ref="A1:P2" />')
    status = import_file(secretary, content)
    assert status["status"] == "failed" and "最多导入 3 行" in status["message"]
    assert member_count() == 0


# --- the job --------------------------------------------------------------------------------------------


def test_a_refused_upload_queues_nothing_and_a_good_one_queues_one_job(secretary, template):
    upload(secretary, b"not a workbook")
    upload(secretary, docx_like_zip())
    assert huey.pending_count() == 0
    assert run_pending_jobs() == 0

    import_id(upload(secretary, fill(template, [person("张三")])))
    assert huey.pending_count() == 1


def test_the_job_imports_once_even_if_run_again(secretary, template):
    job_id = import_id(upload(secretary, fill(template, [person("张三"), person("李四")])))
    run_member_import(job_id)  # a duplicated delivery of the same job
    assert run_pending_jobs() == 2
    run_member_import(job_id)
    run_pending_jobs()
    status = progress(secretary, job_id)
    assert (status["status"], status["created_count"]) == ("done", 2)
    assert member_count() == 2
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "member.create"))
        == 2
    )


def test_two_workers_given_the_same_job_at_once_import_it_once(secretary, template, monkeypatch):
    job_id = import_id(upload(secretary, fill(template, [person("张三"), person("李四")])))
    open_upload, started = imports.open_upload, []

    def open_while_a_second_worker_starts(content):
        if not started:  # the second delivery arrives while the first worker is still reading the file
            started.append(True)
            run_member_import.call_local(job_id)
        return open_upload(content)

    monkeypatch.setattr(imports, "open_upload", open_while_a_second_worker_starts)
    run_pending_jobs()
    assert started and member_count() == 2
    assert progress(secretary, job_id)["created_count"] == 2


def test_a_job_already_taken_by_another_worker_is_left_alone(secretary, template):
    job_id = import_id(upload(secretary, fill(template, [person("张三")])))
    db.session.execute(sa.update(MemberImport).where(MemberImport.id == job_id).values(status="validating"))
    db.session.commit()
    run_pending_jobs()
    assert progress(secretary, job_id)["status"] == "validating"
    assert member_count() == 0


def test_a_clash_found_only_when_writing_imports_nothing_and_says_why(
    tree, make_member, secretary, template, monkeypatch
):
    """Someone registers the same ID card between the check and the write: the unique index catches it."""
    card = id_card("11010519850302001")
    job_id = import_id(upload(secretary, fill(template, [person("张三"), person("李四", 身份证号=card)])))
    make_member(tree["a1"], "李四", id_card=card)
    monkeypatch.setattr(imports, "_existing_id_cards", lambda members: [])  # the check ran before that
    run_pending_jobs()
    status = progress(secretary, job_id)
    assert status["status"] == "failed" and "身份证号" in status["message"]
    assert member_count() == 1


def test_the_uploaded_file_is_not_kept_after_the_import(secretary, template):
    """It holds every full ID-card and phone number of the file."""
    good = import_id(upload(secretary, fill(template, [person("张三")])))
    bad = import_id(upload(secretary, fill(template, [person("李四", 性别="未知")])))
    assert db.session.get(MemberImport, good).content is not None
    run_pending_jobs()
    db.session.rollback()
    assert [db.session.get(MemberImport, job_id).content for job_id in (good, bad)] == [None, None]


def test_more_errors_than_listed_are_counted(secretary, template):
    status = import_file(secretary, fill(template, [person(f"党员{n}", 性别="未知") for n in range(1005)]))
    assert status["status"] == "failed" and len(status["errors"]) == 1000
    assert "1005 处错误" in status["message"]


def test_a_superadmin_can_import_into_any_branch(tree, make_admin, browser):
    make_admin("root", Role.SUPERADMIN, tree["a1"])
    admin = browser("root")
    template = admin.get(TEMPLATE).get_data()
    assert "乙一支部" in branch_choices(template)
    status = import_file(admin, fill(template, [person("张三", branch="乙一支部")]))
    assert status["status"] == "done", status


def test_progress_of_a_large_file_is_reported(secretary, template, monkeypatch):
    rows = [person(f"党员{n:04d}", 性别="男女"[n % 2]) for n in range(1200)]
    job_id = import_id(upload(secretary, fill(template, rows)))
    seen: list[tuple[str, int, int]] = []
    save_progress = imports._save_progress

    def watching(job, **values):
        save_progress(job, **values)
        status = progress(secretary, job_id)  # what the status page polls while the job runs
        seen.append((status["status"], status["processed_rows"], status["total_rows"]))

    monkeypatch.setattr(imports, "_save_progress", watching)
    run_pending_jobs()

    assert ("validating", 500, 1200) in seen
    assert ("validating", 1000, 1200) in seen
    assert seen[-1] == ("done", 1200, 1200)
    processed = [processed for _, processed, _ in seen]
    assert processed == sorted(processed)
    assert progress(secretary, job_id)["created_count"] == 1200
    assert member_count() == 1200


def test_another_secretary_cannot_see_an_import(tree, make_admin, browser, secretary, template):
    job_id = import_id(upload(secretary, fill(template, [person("张三")])))
    make_admin("shuji2", Role.SECRETARY, tree["a2"])
    other = browser("shuji2")
    assert other.get(f"{IMPORT}/{job_id}").status_code == 404
    assert other.get(f"{IMPORT}/{job_id}.json").status_code == 404
    assert "党员名册.xlsx" not in other.get(IMPORT).get_data(as_text=True)


# --- export ---------------------------------------------------------------------------------------------


def exported(response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == XLSX
    sheet = load_workbook(io.BytesIO(response.get_data()))["党员名册"]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.fixture
def register(tree, make_member):
    """Two members in 甲一支部, one in its sibling 甲二支部 and one in 乙一支部."""
    return {
        "zhang": make_member(
            tree["a1"], "张三", phone="13812345678", id_card="110101199003074477", dues_base_yuan=Decimal("4500.50")
        ),
        "li": make_member(
            tree["a1"], "李四", status=MemberStatus.PROBATIONARY, full_member_date=None, id_card="11010519491231002X"
        ),
        "wang": make_member(tree["a2"], "王五"),
        "zhao": make_member(tree["b1"], "赵六"),
    }


def test_export_masks_phone_and_id_card_by_default(secretary, register):
    rows = {row["姓名"]: row for row in exported(secretary.get(EXPORT))}
    assert set(rows) == {"张三", "李四"}
    zhang = rows["张三"]
    assert zhang["手机号"] == "138****5678"
    assert zhang["身份证号"] == "110101********4477"
    assert (zhang["所在支部"], zhang["党员状态"], zhang["性别"]) == ("甲一支部", "正式党员", "男")
    assert zhang["月缴费基数（元）"] == 4500.5  # a number the secretary can sum, not text
    assert zhang["已绑定微信"] == "否"


def test_export_reveal_gives_full_numbers_to_a_secretary(secretary, register):
    rows = {row["姓名"]: row for row in exported(secretary.get(EXPORT + "?reveal=1"))}
    assert rows["张三"]["手机号"] == "13812345678"
    assert rows["张三"]["身份证号"] == "110101199003074477"


def test_export_reveal_is_refused_to_a_committee_member(tree, make_admin, browser, register):
    make_admin("weiyuan", Role.COMMITTEE, tree["a1"])
    reader = browser("weiyuan")
    assert reader.get(EXPORT + "?reveal=1").status_code == 403
    rows = exported(reader.get(EXPORT))
    assert len(rows) == 2 and all(re.fullmatch(r"1\d\d\*{4}\d{4}", row["手机号"]) for row in rows)


def test_export_follows_the_list_filters(tree, make_admin, browser, secretary, register):
    assert [r["姓名"] for r in exported(secretary.get(EXPORT + "?status=probationary"))] == ["李四"]
    assert [r["姓名"] for r in exported(secretary.get(EXPORT + "?q=张"))] == ["张三"]
    assert [r["姓名"] for r in exported(secretary.get(EXPORT + "?sort=-name"))] == ["张三", "李四"]
    assert [r["姓名"] for r in exported(secretary.get(EXPORT + "?dues_category=student"))] == []
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    general = browser("zongzhi")
    assert sorted(r["姓名"] for r in exported(general.get(EXPORT))) == ["张三", "李四", "王五"]
    assert [r["姓名"] for r in exported(general.get(EXPORT + f"?org_id={tree['a2'].id}"))] == ["王五"]


def test_export_never_contains_a_sibling_branch(tree, secretary, register):
    for query in ("", "?reveal=1", f"?org_id={tree['a2'].id}", f"?org_id={tree['committee'].id}", "?q=王五"):
        names = {row["姓名"] for row in exported(secretary.get(EXPORT + query))}
        assert not names & {"王五", "赵六"}, query


def test_export_is_audited(tree, secretary, register):
    secretary.get(EXPORT + "?status=full")
    secretary.get(EXPORT + "?reveal=1")
    db.session.rollback()
    audits = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "member.export").order_by(AuditLog.id)
    ).all()
    assert len(audits) == 2
    assert audits[0].actor_name == "王书记" and audits[0].org_id == tree["a1"].id
    assert audits[0].after["filter"] == {"status": "full"} and audits[0].after["reveal_personal_data"] is False
    assert audits[1].after["reveal_personal_data"] is True


def test_exported_text_is_never_a_formula(tree, make_member, secretary):
    """Not when opened, and not when someone edits the cell: = + - @ all start a formula in Excel."""
    link = '=HYPERLINK("http://evil.example","点我")'
    make_member(tree["a1"], "=1+1", work_unit=link, position="@SUM(A1:A9)")
    make_member(tree["a1"], "-2+3", work_unit="+1+1", position="普通职务")
    sheet = load_workbook(io.BytesIO(secretary.get(EXPORT).get_data()))["党员名册"]
    cells = {cell.value: cell for row in sheet.iter_rows(min_row=2) for cell in row}
    for text in ("=1+1", link, "@SUM(A1:A9)", "-2+3", "+1+1"):
        assert (cells[text].data_type, cells[text].quotePrefix) == ("s", True), text
    assert cells["普通职务"].quotePrefix is False


def test_an_export_can_be_imported_again_after_revealing(tree, make_member, secretary, template):
    """The register can move between deployments: export with full numbers, then import it elsewhere."""
    make_member(
        tree["a1"], "张三", phone="13812345678", id_card="110101199003074477", dues_base_yuan=Decimal("4500.50")
    )
    content = secretary.get(EXPORT + "?reveal=1").get_data()
    db.session.execute(sa.delete(AuditLog))
    db.session.execute(sa.delete(Member))
    db.session.commit()
    status = import_file(secretary, content)
    assert (status["status"], status["created_count"]) == ("done", 1), status
    member = db.session.scalar(sa.select(Member))
    assert (member.phone, member.id_card, member.dues_base_fen) == ("13812345678", "110101199003074477", 450050)
