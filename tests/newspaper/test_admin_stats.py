"""The newspaper's statistics against reading put into the tables: the issue, each article, each branch, the
curve of readers over time, the list of issues, and the Excel exports that carry the same numbers."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from server.audit.models import AuditLog
from server.db import db
from server.newspaper import stats
from server.newspaper.models import Narrowing
from tests.newspaper.admin_helpers import forwarded, opened, read
from tests.newspaper.conftest import published


@pytest.fixture
def reading(tree, staff, make_reader, make_member):
    """甲党总支's issue to 甲一 (three members) and 甲二 (two, not bound to WeChat), two articles, read like this:

    - 甲一 m1 opened the issue, read article 1 to the end and liked it, forwarded it; a member of 甲二 (m4)
      and someone who is no member opened the forward;
    - 甲一 m2 opened the issue, opened article 1, read article 2 to the end;
    - 甲一 m3 never opened it;
    - 甲二 m4 opened the issue and liked article 2, forwarded article 2 (nobody opened it);
    - 甲二 m5 never opened it.
    """
    # one push sent, one without consent, one member not bound to WeChat
    a1 = [make_reader(tree["a1"], consent=1).member, make_reader(tree["a1"], consent=0).member, make_member(tree["a1"])]
    a2 = [make_member(tree["a2"]) for _ in range(2)]
    audience = [(tree["a1"], Narrowing.ALL), (tree["a2"], Narrowing.ALL)]
    issue = published(staff.general, staff.root, tree["general_a"], audience, articles=2)
    first, second = issue.articles
    m1, m2, _ = a1
    m4, _ = a2
    start = issue.published_at
    opened(m1, issue, start + timedelta(minutes=30))
    opened(m2, issue, start + timedelta(hours=3))
    opened(m4, issue, start + timedelta(hours=30))
    read(m1, first, finished=True, liked=True)
    read(m2, first)
    read(m2, second, finished=True)
    read(m4, second, liked=True)
    forwarded(m1, first, [m4, None])
    forwarded(m4, second, [])
    db.session.commit()
    return issue


def test_the_issue_as_a_whole(reading):
    figures = stats.issue_stats(reading)
    assert (figures.recipients, figures.in_inbox, figures.read, figures.finished) == (5, 5, 3, 2)
    assert (figures.likes, figures.forwards, figures.forward_opens) == (2, 2, 2)
    assert figures.read_rate == pytest.approx(0.6) and figures.finish_rate == pytest.approx(2 / 3)
    assert (figures.pushed, figures.no_quota, figures.without_push) == (1, 1, 3)


def test_each_article(reading):
    first, second = stats.article_stats(reading)
    assert (first.read, first.finished, first.likes, first.forwards, first.forward_opens) == (2, 1, 1, 1, 2)
    assert (second.read, second.finished, second.likes, second.forwards, second.forward_opens) == (2, 1, 1, 1, 0)
    assert first.read_rate == pytest.approx(0.4) and first.title.startswith("第1篇")


def test_each_branch_in_the_admins_scope_best_read_rate_first(reading, tree, staff):
    a1, a2 = stats.branch_stats(reading, staff.general)
    assert (a1.name, a1.in_inbox, a1.read, a1.finished, a1.likes, a1.forwards, a1.forward_opens) == (
        "甲一支部",
        3,
        2,
        2,
        1,
        1,
        2,  # the opens of m1's forward count for m1's branch, though one opener is in 甲二
    )
    assert (a2.name, a2.in_inbox, a2.read, a2.finished, a2.likes, a2.forwards, a2.forward_opens) == (
        "甲二支部",
        2,
        1,
        0,
        1,
        1,
        0,
    )
    assert [b.name for b in stats.branch_stats(reading, staff.secretary)] == ["甲一支部"]  # 甲二 is not theirs


def test_the_curve_of_readers_after_publishing(reading):
    curve = stats.timeline(reading, now=reading.published_at + timedelta(hours=48), points=4)
    assert curve.hours == [12.0, 24.0, 36.0, 48.0]
    assert curve.read == [2, 2, 3, 3]


def test_the_pages_show_the_numbers(reading, browser):
    general = browser("zongzhi")
    page = general.get(f"/admin/newspaper/{reading.id}/stats").get_data(as_text=True)
    shown = dict(re.findall(r'id="stat-([a-z-]+)">([^<]+)<', page))
    assert shown == {
        "inbox": "5",
        "read": "3",
        "read-rate": "60.0%",
        "finished": "2",
        "likes": "2",
        "forwards": "2",
    }
    assert re.search(
        r"<td>甲一支部</td><td class=\"num\">3</td><td class=\"num\">2</td><td class=\"num\">66.7%</td>", page
    )
    chart = json.loads(re.search(r'id="news-stats-data" type="application/json">(.*?)</script>', page).group(1))
    assert chart["read"] == [2, 2] and chart["likes"] == [1, 1]
    assert chart["branches"] == [["甲一支部", 66.7], ["甲二支部", 50.0]]
    overview = general.get("/admin/newspaper/stats").get_data(as_text=True)
    assert re.search(r'<td class="num">5</td><td class="num">3</td><td class="num">60.0%</td>', overview)
    listing = general.get("/admin/newspaper/").get_data(as_text=True)
    assert "5 人已送达" in listing and "60.0%" in listing


def test_the_excel_export_of_an_issue(reading, browser, tree):
    response = browser("zongzhi").get(f"/admin/newspaper/{reading.id}/stats.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["概况", "按文章", "按支部"]
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(values_only=True) if row and row[0]}
    assert summary["已进消息列表"] == 5 and summary["已推送"] == 1 and summary["未绑定微信（无推送）"] == 3
    assert summary["状态"] == "已发布"
    header, figures = list(book["概况"].iter_rows(values_only=True))[-2:]
    assert header[:3] == ("送达人数", "阅读人数", "阅读率")
    assert figures == (5, 3, pytest.approx(0.6), 2, pytest.approx(2 / 3), 2, 2, 2)
    articles = list(book["按文章"].iter_rows(values_only=True))
    assert articles[1][:2] == (1, "第1篇：节前安全检查") and articles[1][2:] == (
        5,
        2,
        pytest.approx(0.4),
        1,
        pytest.approx(0.5),
        1,
        1,
        2,
    )
    branches = list(book["按支部"].iter_rows(values_only=True))
    assert [row[0] for row in branches[1:]] == ["甲一支部", "甲二支部"]
    assert branches[1][1:] == (3, 2, pytest.approx(2 / 3), 2, 1.0, 1, 1, 2)
    assert book["概况"].cell(row=len(list(book["概况"].rows)), column=3).number_format == "0.0%"
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "news_issue.export"))
    assert entry.actor_name == "总支书记" and entry.org_id == tree["general_a"].id


def test_the_excel_export_of_the_issues(reading, browser):
    response = browser("zongzhi").get("/admin/newspaper/stats.xlsx")
    rows = list(load_workbook(io.BytesIO(response.get_data()))["手机报统计"].iter_rows(values_only=True))
    assert rows[0][:3] == ("发布组织", "期号", "标题")
    assert rows[1][:3] == ("甲党总支", 1, "安全生产专刊") and rows[1][5:8] == (5, 3, pytest.approx(0.6))
    assert browser("jiaer").get("/admin/newspaper/stats.xlsx").status_code == 200  # 甲二's: nothing of 总支's
    sibling = load_workbook(io.BytesIO(browser("jiaer").get("/admin/newspaper/stats.xlsx").get_data()))
    assert len(list(sibling["手机报统计"].iter_rows())) == 1
