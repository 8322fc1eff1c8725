"""The dashboard (首页) a secretary and the committee open first: this month's meetings, dues and the
newspaper's latest issue, each with its figures counted in the admin's own subtree only, each a link to
its page, and the account's role said once in the top bar."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.admin import dashboard_counts
from server.admin.models import DashboardCount
from server.auth.models import Role
from server.db import db, utcnow
from server.dues.months import current_month
from server.dues.rules import ensure_rules_2008
from server.inbox.models import InboxItem, InboxKind
from server.meetings.models import Attendance, AttendanceStatus, CheckinMethod, Meeting, MeetingKind
from server.meetings.services import create_meeting
from server.newspaper.models import IssueStatus, NewsIssue
from server.orgs.models import Organisation
from server.timezone import local_date
from tests.database import USING_POSTGRES
from tests.dues.ledger_helpers import make_months, pay


def _text(html: str, element_id: str) -> str:
    """The words of one element of the page, tags left out."""
    match = re.search(rf'id="{element_id}".*?</section>', html, re.S)
    assert match, f"no #{element_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def _meeting(org: Organisation, starts_in: timedelta, kind: MeetingKind = MeetingKind.THEME_DAY) -> Meeting:
    """A meeting (a 主题党日) of ``org`` scheduled beforehand, its times then moved as if the clock had
    moved on."""
    starts = utcnow() + timedelta(minutes=10)
    meeting = create_meeting(
        kind=kind,
        title="会议",
        organiser=org,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )
    db.session.flush()
    by = starts_in - timedelta(minutes=10)
    for column in ("starts_at", "ends_at", "checkin_opens_at", "checkin_closes_at"):
        setattr(meeting, column, getattr(meeting, column) + by)
    db.session.commit()
    return meeting


@pytest.fixture
def world(tree, make_member, make_admin):
    """甲一支部: four members, a meeting that ended an hour ago (two present, one late, one on leave), one
    tomorrow, this month's dues paid by two; 乙一支部: two members, nothing held, none paid. The
    committee's newspaper issue reached all six; three in 甲一 and one in 乙一 opened it."""
    ensure_rules_2008()
    long_ago = utcnow() - timedelta(days=400)  # set up before this month: every monthly meeting is due
    db.session.execute(sa.update(Organisation).values(created_at=long_ago))
    db.session.commit()
    a1 = [make_member(tree["a1"], name) for name in ("张一", "张二", "张三", "张四")]
    b1 = [make_member(tree["b1"], name) for name in ("李一", "李二")]
    make_admin("shuji", Role.SECRETARY, tree["a1"], display_name="张一（书记）", member_id=a1[0].id)
    make_admin("shuji_b", Role.SECRETARY, tree["b1"], display_name="李一")
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"], display_name="组织部 王五")
    held = _meeting(tree["a1"], -timedelta(minutes=180))
    coming = _meeting(tree["a1"], timedelta(days=1))
    for member, status in zip(a1, ("present", "present", "late", "leave"), strict=True):
        at = None if status == "leave" else held.starts_at
        db.session.add(
            Attendance(
                meeting_id=held.id,
                member_id=member.id,
                status=AttendanceStatus(status),
                method=CheckinMethod.MANUAL if at is None else CheckinMethod.MEETING_CODE,
                checked_in_at=at,
            )
        )
    (month,) = make_months(1)
    for member in a1[:2]:
        pay(member, [month])
    issue = NewsIssue(org_id=tree["committee"].id, number=7, title="学习专刊", status=IssueStatus.PUBLISHED)
    issue.published_at = utcnow() - timedelta(hours=1)
    db.session.add(issue)
    db.session.flush()
    for member in a1 + b1:
        read = utcnow() if member in (a1[0], a1[1], a1[2], b1[0]) else None
        db.session.add(
            InboxItem(
                member_id=member.id, kind=InboxKind.NEWSPAPER, ref_id=issue.id, delivered_at=utcnow(), read_at=read
            )
        )
    db.session.commit()
    this = current_month()
    return {
        "held": int(local_date(held.starts_at).replace(day=1) == this),
        "coming": int(local_date(coming.starts_at).replace(day=1) == this),
        "issue": issue,
        "a1": a1,
    }


def test_a_secretary_sees_her_branch_month_at_a_glance(browser, world):
    page = browser("shuji").get("/admin/").get_data(as_text=True)
    meetings = _text(page, "panel-meetings")
    assert f"{world['held']} 场已召开" in meetings and f"{world['coming']} 场待召开" in meetings
    assert "75%" in meetings and "应到 4 人次，到会 3 人次" in meetings  # leave is expected, not attended
    # 支委会 and 主题党日 of the branch, 党小组会 of its party group; the 主题党日 held counts (when this month)
    assert f"已开 {world['held']} / 3 项" in meetings
    dues = _text(page, "panel-dues")
    assert "2 / 4 人已缴" in dues and "收缴率 50%" in dues
    news = _text(page, "panel-newspaper")
    assert "第7期 学习专刊" in news and "阅读率 75%" in news and "送达 4 人，已读 3 人" in news
    # the committee's issue is not hers to open: the link goes to the statistics she may see
    assert f"/admin/newspaper/{world['issue'].id}/stats" not in page and "/admin/newspaper/stats" in page
    assert "/admin/meetings/compliance" in page and "/admin/meetings/attendance" in page
    assert "/admin/dues/ledger?from=" in page
    assert "张一（书记） · 管理范围" in page and "（支部书记）" not in page


def test_another_branch_secretary_sees_none_of_it(browser, world):
    page = browser("shuji_b").get("/admin/").get_data(as_text=True)
    assert "0 场已召开" in _text(page, "panel-meetings") and "0 场待召开" in _text(page, "panel-meetings")
    assert "0 / 2 人已缴" in _text(page, "panel-dues")
    assert "已开 0 / 2 项" in _text(page, "panel-meetings")
    assert "送达 2 人，已读 1 人" in _text(page, "panel-newspaper")
    assert "李一（支部书记） · 管理范围" in page


def test_the_committee_sees_every_branch_and_opens_its_own_issue(browser, world):
    page = browser("dangwei").get("/admin/").get_data(as_text=True)
    assert "2 / 6 人已缴" in _text(page, "panel-dues")
    news = _text(page, "panel-newspaper")
    assert "送达 6 人，已读 4 人" in news and "阅读率 67%" in news
    assert f"/admin/newspaper/{world['issue'].id}/stats" in page
    meetings = _text(page, "panel-meetings")
    assert "/ 7 项" in meetings  # three branches × (支委会, 主题党日) + one party group's 党小组会
    assert "组织部 王五（党委/党总支管理员）" in page


def test_an_empty_scope_shows_dashes_not_errors(browser, tree, make_admin):
    make_admin("empty", Role.SECRETARY, tree["a2"], display_name="赵六")
    page = browser("empty").get("/admin/").get_data(as_text=True)
    assert "收缴率 —" in _text(page, "panel-dues")
    assert "还没有发到本范围的手机报" in _text(page, "panel-newspaper")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NewsIssue)) == 0


def test_a_committee_meeting_without_its_quorum_is_held_neither_here_nor_on_the_compliance_page(browser, world, tree):
    """甲一's committee is its secretary 张一 alone: a 支委会 she missed does not count, as the compliance
    page (which the panel links to) says; once she is marked present it counts on both."""
    committee = _meeting(tree["a1"], -timedelta(minutes=150), MeetingKind.BRANCH_COMMITTEE)
    this_month = int(local_date(committee.starts_at).replace(day=1) == current_month())
    db.session.add(
        Attendance(
            meeting_id=committee.id,
            member_id=world["a1"][1].id,  # 张二, not on the committee
            status=AttendanceStatus.PRESENT,
            method=CheckinMethod.MEETING_CODE,
            checked_in_at=committee.starts_at,
        )
    )
    db.session.commit()
    shuji = browser("shuji")
    page = shuji.get("/admin/").get_data(as_text=True)
    assert f"已开 {world['held']} / 3 项" in _text(page, "panel-meetings")
    if this_month:
        assert "支委会到会未过半（0/1），不计入" in shuji.get("/admin/meetings/compliance").get_data(as_text=True)
    db.session.add(
        Attendance(
            meeting_id=committee.id,
            member_id=world["a1"][0].id,
            status=AttendanceStatus.LATE,
            method=CheckinMethod.MEETING_CODE,
            checked_in_at=committee.starts_at,
        )
    )
    db.session.commit()
    page = shuji.get("/admin/").get_data(as_text=True)
    assert f"已开 {world['held'] + this_month} / 3 项" in _text(page, "panel-meetings")
    assert "到会未过半" not in shuji.get("/admin/meetings/compliance").get_data(as_text=True)


def _figures(page: str) -> str:
    match = re.search(r'<script id="figures" type="application/json">(.*?)</script>', page, re.S)
    assert match
    return match.group(1)


def test_a_large_subtree_reads_the_periodic_count_and_says_when(browser, world, tree, monkeypatch):
    """Every account sees the same figures whether counted now or by the periodic job; the job's are
    said to be of the minute they were counted, and no longer shown once the job has stopped."""
    accounts = {name: browser(name) for name in ("shuji", "shuji_b", "dangwei")}
    panels = ("panel-meetings", "panel-dues", "panel-newspaper")
    now = {name: client.get("/admin/").get_data(as_text=True) for name, client in accounts.items()}
    assert all("统计于" not in page for page in now.values())
    monkeypatch.setattr(dashboard_counts, "LARGE_FROM_ORGS", 2)  # 甲一 and its party group make two
    assert dashboard_counts.refresh() == 4  # the committee, both general branches and 甲一
    for name, client in accounts.items():
        page = client.get("/admin/").get_data(as_text=True)
        assert [_text(page, panel) for panel in panels] == [_text(now[name], panel) for panel in panels], name
        assert _figures(page) == _figures(now[name]), name
        assert ("统计于" in page) == (name != "shuji_b"), name  # 乙一 alone is small: counted now
    # a meeting after the count shows at the next one, not before
    _meeting(tree["b1"], timedelta(days=1))
    page = accounts["dangwei"].get("/admin/").get_data(as_text=True)
    assert _text(page, "panel-meetings") == _text(now["dangwei"], "panel-meetings")
    # the job stopped five minutes ago: counted now again
    db.session.execute(sa.update(DashboardCount).values(counted_at=utcnow() - timedelta(minutes=6)))
    db.session.commit()
    page = accounts["dangwei"].get("/admin/").get_data(as_text=True)
    assert "统计于" not in page and _text(page, "panel-meetings") != _text(now["dangwei"], "panel-meetings")


@pytest.mark.skipif(not USING_POSTGRES, reason="PostgreSQL's advisory lock; SQLite has one writer at a time")
def test_a_count_still_running_keeps_the_table_and_the_next_minutes_counts_nothing(world, tree, monkeypatch):
    monkeypatch.setattr(dashboard_counts, "LARGE_FROM_ORGS", 2)
    with db.engine.connect() as other, other.begin():  # the count of the minute before, still under way
        assert other.scalar(dashboard_counts._TAKE_THE_COUNT)
        assert dashboard_counts.refresh() == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DashboardCount)) == 0
    assert dashboard_counts.refresh() == 4
