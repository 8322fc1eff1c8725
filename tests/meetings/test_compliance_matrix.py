"""The compliance matrix: branches × the months, quarter and year of a quarter, each cell one state,
and the page and workbook a secretary and the committee read it in."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from server.auth.models import Role
from server.db import db
from server.meetings.compliance_excel import compliance_workbook
from server.meetings.compliance_matrix import compliance_matrix
from server.meetings.compliance_rules import QUARTER, State, period_of
from server.meetings.models import MeetingKind
from server.orgs.models import OrgKind
from server.timezone import local_today
from tests.meetings.factories import add_meeting, attend

K = MeetingKind
Q3_2025 = period_of(QUARTER, date(2025, 7, 1))


@pytest.fixture
def tree(established_tree):
    return established_tree


@pytest.fixture
def theme_days_and_assemblies(app, monkeypatch):
    """Only 主题党日 (monthly), 支部党员大会 (quarterly) and 组织生活会 (yearly) are required."""
    required = {"theme_day": "month", "branch_assembly": "quarter", "life_meeting": "year"}
    monkeypatch.setitem(app.config, "MEETING_FREQUENCIES", {k.value: None for k in K} | required)


def states(matrix, branch_name: str, kind: MeetingKind) -> dict[str, State]:
    (row,) = [row for row in matrix.rows if row.branch.name == branch_name]
    return {cell.column.period.label: cell.state for cell in row.cells if cell is not None and cell.column.kind is kind}


def test_a_quarter_has_a_column_per_month_quarter_and_year_by_frequency(tree, theme_days_and_assemblies):
    matrix = compliance_matrix(tree["committee"].path, Q3_2025, date(2025, 8, 20))

    assert [(h.label, h.frequency, h.span) for h in matrix.headings] == [
        ("支部党员大会", "每季度", 1),
        ("主题党日", "每月", 3),
        ("组织生活会", "每年", 1),
    ]
    assert [(c.period.short, c.current) for c in matrix.columns] == [
        ("第3季度", True),
        ("7月", False),
        ("8月", True),
        ("9月", False),
        ("全年", True),
    ]
    assert [row.branch.name for row in matrix.rows] == ["甲一支部", "甲二支部", "乙一支部"]


def test_a_lagging_branch_shows_its_missing_months_and_the_rest_not_yet_due(tree, theme_days_and_assemblies):
    for month in (7, 8, 9):
        add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, month, 10, 9))
    add_meeting(K.THEME_DAY, tree["a2"], datetime(2025, 7, 10, 9))
    add_meeting(K.BRANCH_ASSEMBLY, tree["a2"], datetime(2025, 7, 20, 9), backfill_reason="停电，纸质签到后补录")

    matrix = compliance_matrix(tree["committee"].path, Q3_2025, date(2025, 9, 15))

    assert states(matrix, "甲一支部", K.THEME_DAY) == {
        "2025年7月": State.HELD,
        "2025年8月": State.HELD,
        "2025年9月": State.HELD,
    }
    assert states(matrix, "甲二支部", K.THEME_DAY) == {
        "2025年7月": State.HELD,
        "2025年8月": State.MISSING,
        "2025年9月": State.NOT_DUE,  # September is under way
    }
    assert states(matrix, "甲二支部", K.BRANCH_ASSEMBLY) == {"2025年第3季度": State.BACKFILLED}
    assert states(matrix, "乙一支部", K.BRANCH_ASSEMBLY) == {"2025年第3季度": State.NOT_DUE}
    assert [row.branch.name for row in matrix.failing] == ["甲二支部", "乙一支部"]
    assert matrix.count(State.MISSING) == 3  # 甲二 August; 乙一 July and August

    after = compliance_matrix(tree["committee"].path, Q3_2025, date(2025, 10, 2))
    assert states(after, "乙一支部", K.BRANCH_ASSEMBLY) == {"2025年第3季度": State.MISSING}
    assert states(after, "乙一支部", K.LIFE_MEETING) == {"2025年": State.NOT_DUE}  # the year runs on


def test_a_branch_set_up_mid_year_owes_nothing_for_the_periods_before(tree, make_org, theme_days_and_assemblies):
    new = make_org("新建支部", OrgKind.BRANCH, tree["general_b"])
    new.created_at = datetime(2025, 8, 14, 2, tzinfo=UTC)  # 14 August, Beijing time
    db.session.commit()

    matrix = compliance_matrix(tree["committee"].path, Q3_2025, date(2025, 10, 10))

    assert states(matrix, "新建支部", K.THEME_DAY) == {
        "2025年7月": State.BEFORE,
        "2025年8月": State.BEFORE,  # set up during August: not required for it
        "2025年9月": State.MISSING,
    }
    assert states(matrix, "新建支部", K.BRANCH_ASSEMBLY) == {"2025年第3季度": State.BEFORE}
    assert states(matrix, "新建支部", K.LIFE_MEETING) == {"2025年": State.BEFORE}

    add_meeting(K.THEME_DAY, new, datetime(2025, 8, 25, 9))  # a meeting held always counts
    matrix = compliance_matrix(tree["committee"].path, Q3_2025, date(2025, 10, 10))
    assert states(matrix, "新建支部", K.THEME_DAY)["2025年8月"] is State.HELD


def test_party_groups_share_their_branch_row(tree, make_org, app, monkeypatch):
    monkeypatch.setitem(app.config, "MEETING_FREQUENCIES", {k.value: None for k in K} | {"group_meeting": "month"})
    second = make_org("第二党小组", OrgKind.GROUP, tree["a1"])
    second.created_at = tree["a1"].created_at
    db.session.commit()
    add_meeting(K.GROUP_MEETING, tree["a1"], datetime(2025, 7, 8, 19), [tree["a1_group"]])
    add_meeting(K.GROUP_MEETING, tree["a1"], datetime(2025, 7, 9, 19), [second])
    add_meeting(K.GROUP_MEETING, tree["a1"], datetime(2025, 8, 9, 19), [second])

    matrix = compliance_matrix(tree["committee"].path, Q3_2025, date(2025, 10, 1))

    row = matrix.rows[0]
    july, august, _ = row.cells
    assert (july.state, august.state) == (State.HELD, State.MISSING)
    assert [r.group_name for r in august.behind] == ["第一党小组"]
    assert matrix.rows[1].cells == [None, None, None]  # 甲二支部 has no party group


def test_the_page_opens_on_the_current_quarter(browser, make_admin, tree):
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])
    today = local_today()
    quarter = period_of(QUARTER, today)

    page = browser("dangwei").get("/admin/meetings/compliance").get_data(as_text=True)

    assert f"三会一课落实情况 · {quarter.label}" in page
    current = re.findall(r'<th scope="col" class="period current[^"]*">([^<]+)<small>当前</small>', page)
    month = f"{today.month}月"
    # 党员大会, 支委会, 党小组会, 党课, 主题党日, 组织生活会, 谈心谈话 (the defaults)
    assert current == [quarter.short, month, month, quarter.short, month, "全年", "全年"]
    assert 'id="next-quarter"' not in page  # nothing to see after the quarter under way


def test_the_explanatory_note_is_said_once_per_page(browser, make_admin, tree, make_org):
    for n in range(4):
        make_org(f"新支部{n}", OrgKind.BRANCH, tree["general_b"])
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])

    page = browser("dangwei").get("/admin/meetings/compliance?quarter=2025-3").get_data(as_text=True)

    assert page.count("按北京时间的月、季、年统计") == 1
    assert page.count("支委会须过半委员到会才计入") == 1
    assert page.count('id="legend"') == 1
    for state in State:
        assert page.count(f"{state.label}</li>") == 1  # each state in the legend, with its symbol


def _cell_links(page: str) -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlsplit(unescape(href)).query)
        for href in re.findall(r'<td class="cell cell-missing[^"]*"[^>]*><a href="([^"]+)"', page)
    ]


def test_a_missing_cell_links_to_the_meeting_form_filled_in(browser, make_admin, make_member, tree):
    add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, 7, 10, 9))
    secretary = make_member(tree["a1"], "书记")
    make_admin("shuji", Role.SECRETARY, tree["a1"], member_id=secretary.id)
    shuji = browser("shuji")

    page = shuji.get("/admin/meetings/compliance?quarter=2025-3").get_data(as_text=True)

    assert "甲二支部" not in page  # a branch secretary sees their own row only
    links = _cell_links(page)
    theme_days = [link for link in links if link["kind"] == ["theme_day"]]
    assert [link["title"] for link in theme_days] == [["2025年8月主题党日"], ["2025年9月主题党日"]]
    assert all(link["organiser_id"] == [str(tree["a1"].id)] for link in links)
    (group,) = [link for link in links if link["kind"] == ["group_meeting"] and "7月" in link["title"][0]]
    assert group["participant_ids"] == [str(tree["a1_group"].id)]

    href = re.search(r'<td class="cell cell-missing[^"]*"[^>]*><a href="([^"]+)"', page).group(1)
    form = shuji.get(unescape(href)).get_data(as_text=True)
    assert re.search(rf'<option value="{tree["a1"].id}" selected>甲一支部</option>', form)
    assert re.search(r'<option value="branch_assembly" selected>', form)


def test_a_read_only_committee_member_sees_the_matrix_without_links(browser, make_admin, make_member, tree):
    member = make_member(tree["a1"], "支委")
    make_admin("zhiwei", Role.COMMITTEE, tree["a1"], member_id=member.id)

    page = browser("zhiwei").get("/admin/meetings/compliance?quarter=2025-3").get_data(as_text=True)

    assert 'class="cell cell-missing' in page
    assert _cell_links(page) == []


def test_only_branches_with_missing_meetings_on_request(browser, make_admin, tree, theme_days_and_assemblies):
    for branch in ("a1", "b1"):
        for month in (7, 8, 9):
            add_meeting(K.THEME_DAY, tree[branch], datetime(2025, month, 10, 9))
        add_meeting(K.BRANCH_ASSEMBLY, tree[branch], datetime(2025, 8, 10, 9))
        add_meeting(K.LIFE_MEETING, tree[branch], datetime(2025, 8, 12, 9))
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])

    page = browser("dangwei").get("/admin/meetings/compliance?quarter=2025-3&only=missing").get_data(as_text=True)

    matrix = page[page.index('id="matrix"') : page.index('id="inactive"')]
    assert "甲二支部" in matrix and "甲一支部" not in matrix and "乙一支部" not in matrix


def test_a_committee_meeting_without_quorum_is_explained_below_the_matrix(
    browser, make_admin, make_member, tree, app, monkeypatch
):
    monkeypatch.setitem(app.config, "MEETING_FREQUENCIES", {k.value: None for k in K} | {"branch_committee": "month"})
    committee = [make_member(tree["a1"]) for _ in range(3)]
    for n, member in enumerate(committee):
        make_admin(f"zw{n}", Role.COMMITTEE, tree["a1"], member_id=member.id)
    thin = add_meeting(K.BRANCH_COMMITTEE, tree["a1"], datetime(2025, 7, 10, 15))
    attend(thin, committee[0])
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])

    page = browser("dangwei").get("/admin/meetings/compliance?quarter=2025-3").get_data(as_text=True)

    notes = page[page.index('id="matrix-notes"') :]
    assert "7月10日支委会到会未过半（1/3），不计入" in notes
    assert "2 个支部未登记支委会成员" in page  # 甲二 and 乙一, said once


def test_the_workbook_holds_the_matrix_and_its_detail(tree, make_org, theme_days_and_assemblies):
    tricky = make_org("=HYPERLINK(1)", OrgKind.BRANCH, tree["general_b"])
    tricky.created_at = tree["a1"].created_at
    db.session.commit()
    add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, 7, 18, 9))

    book = load_workbook(io.BytesIO(compliance_workbook(compliance_matrix("/", Q3_2025, date(2025, 8, 20)))))

    matrix = [list(row) for row in book["三会一课"].iter_rows(values_only=True)]
    assert matrix[0] == [
        "支部",
        "支部党员大会 2025年第3季度",
        "主题党日 2025年7月",
        "主题党日 2025年8月",
        "主题党日 2025年9月",
        "组织生活会 2025年",
    ]
    assert ["甲一支部", "未到期", "已开", "未到期", "未到期", "未到期"] in matrix
    assert ["甲二支部", "未到期", "未开", "未到期", "未到期", "未到期"] in matrix
    detail = [list(row) for row in book["明细"].iter_rows(values_only=True)]
    assert detail[0] == ["组织", "会议类型", "周期", "应开", "按时召开", "补录", "情况", "说明"]
    assert ["甲一支部", "主题党日", "2025年7月", 1, 1, 0, "已开", None] in detail
    assert len(detail) - 1 == 4 * 5
    formula = next(row for row in book["三会一课"].iter_rows() if row[0].value == tricky.name)[0]
    assert (formula.data_type, formula.quotePrefix) == ("s", True)


def test_the_export_follows_the_quarter_on_screen(browser, make_admin, tree):
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])
    response = browser("dangwei").get("/admin/meetings/compliance.xlsx?quarter=2025-3")
    assert "2025-3" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data))["三会一课"]
    assert "2025年第3季度" in " ".join(str(value) for value in next(sheet.iter_rows(values_only=True)))
