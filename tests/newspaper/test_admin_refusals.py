"""What the newspaper's admin pages refuse, and that a refusal writes nothing: the author reviewing their own issue,
an audience outside the admin's scope or the issue's organisation, someone else's issue outside the scope,
a read-only account, a publishing time already past, a number already taken, a draft no longer a draft."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.audit.models import AuditLog
from server.db import db, utcnow
from server.inbox.models import Push, PushStatus
from server.newspaper import workflow
from server.newspaper.models import IssueStatus, Narrowing, NewsIssue
from tests.newspaper.admin_helpers import flash_of
from tests.newspaper.conftest import approved, draft, published


def _text(response) -> str:
    return response.get_data(as_text=True)


def _error(response) -> tuple[int, str]:
    match = re.search(r'data-code="[^"]*">([^<]*)<', _text(response))
    return response.status_code, match.group(1) if match else ""


def _actions(entity: str = "news_issue") -> list[str]:
    return list(
        db.session.scalars(sa.select(AuditLog.action).where(AuditLog.entity_type == entity).order_by(AuditLog.id))
    )


def test_the_author_cannot_approve_their_own_issue(browser, tree, staff):
    issue = draft(staff.secretary, tree["a1"])
    workflow.submit(staff.secretary, issue)
    db.session.commit()
    author = browser("shuji")
    page = _text(author.get(f"/admin/newspaper/{issue.id}"))
    assert 'id="approve-form"' not in page and "等待本级或上级组织的其他管理员审核" in page
    for step, data in (("approve", {}), ("send-back", {"note": "自己退回"})):
        status, message = _error(author.post(f"/admin/newspaper/{issue.id}/{step}", data))
        assert (status, message) == (403, workflow.AUTHOR_CANNOT_REVIEW)
    db.session.expire_all()
    assert issue.status is IssueStatus.SUBMITTED and issue.reviewer_id is None
    assert "news_issue.approve" not in _actions()


def test_an_audience_outside_the_scope_is_missing_and_one_outside_the_issue_is_refused(browser, tree, staff):
    issue = draft(staff.secretary, tree["a1"])
    secretary = browser("shuji")
    sibling = {"org_ids": tree["a2"].id}
    assert _error(secretary.post(f"/admin/newspaper/{issue.id}/audience", sibling)) == (404, "组织不存在或已撤销")
    assert _error(secretary.get(f"/admin/newspaper/{issue.id}/reach?org_ids={tree['a2'].id}"))[0] == 404
    general_issue = draft(staff.general, tree["a1"])
    general = browser("zongzhi")  # 甲二 is the general branch's, but not under the publishing 甲一
    refused = general.post(f"/admin/newspaper/{general_issue.id}/audience", sibling)
    assert _error(refused) == (403, workflow.OUTSIDE_ISSUE_ORG)
    db.session.expire_all()
    assert [(row.org_id, row.narrowing) for row in issue.audiences] == [(tree["a1"].id, Narrowing.ALL)]
    assert [row.org_id for row in general_issue.audiences] == [tree["a1"].id]


def test_a_narrowing_that_does_not_fit_is_explained_and_nothing_is_saved(browser, tree, staff):
    issue = draft(staff.secretary, tree["a1"])
    secretary = browser("shuji")
    wrong = {"org_ids": tree["a1"].id, f"narrowing-{tree['a1'].id}": "group"}
    live = _text(secretary.get(f"/admin/newspaper/{issue.id}/reach", query_string=wrong))
    assert "“仅本党小组”只能用于党小组" in live and "reach-count" not in live
    assert secretary.post(f"/admin/newspaper/{issue.id}/audience", wrong).status_code == 302
    assert "只能用于党小组" in flash_of(secretary, f"/admin/newspaper/{issue.id}")
    db.session.expire_all()
    assert [row.narrowing for row in issue.audiences] == [Narrowing.ALL]


def test_someone_elses_issue_outside_the_scope_cannot_be_withdrawn_or_even_seen(browser, tree, staff, make_reader):
    make_reader(tree["a1"], consent=1)
    issue = published(staff.secretary, staff.general, tree["a1"])
    sibling = browser("jiaer")
    missing = _error(sibling.post("/admin/newspaper/987654321/withdraw"))
    assert _error(sibling.post(f"/admin/newspaper/{issue.id}/withdraw")) == missing == (404, workflow.ISSUE_MISSING)
    for path in ("", "/progress", "/stats", "/stats.xlsx"):
        assert sibling.get(f"/admin/newspaper/{issue.id}{path}").status_code == 404
    for path in ("/admin/newspaper/", "/admin/newspaper/stats", "/admin/newspaper/review"):
        assert "安全生产专刊" not in _text(sibling.get(path))
    db.session.expire_all()
    assert issue.status is IssueStatus.PUBLISHED and "news_issue.withdraw" not in _actions()

    general = browser("zongzhi")  # above 甲一: may
    assert general.post(f"/admin/newspaper/{issue.id}/withdraw").status_code == 302
    db.session.expire_all()
    assert issue.status is IssueStatus.WITHDRAWN and _actions()[-1] == "news_issue.withdraw"


def test_withdrawing_stops_the_pushes_not_yet_sent(browser, tree, staff, make_reader, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_QUIET_HOURS", "00:00-23:59")  # pushes wait for the morning
    make_reader(tree["a1"], consent=1)
    issue = published(staff.secretary, staff.general, tree["a1"])
    assert db.session.scalar(sa.select(Push.status)) is PushStatus.PENDING
    page = _text(browser("zongzhi").get(f"/admin/newspaper/{issue.id}/progress"))
    assert "免打扰时段，提醒将于" in page
    browser("fushuji").post(f"/admin/newspaper/{issue.id}/withdraw")
    db.session.expire_all()
    assert db.session.scalar(sa.select(Push.status)) is PushStatus.CANCELLED
    counts = _text(browser("zongzhi").get(f"/admin/newspaper/{issue.id}/progress/counts"))
    assert "本期已撤回" in counts and "hx-trigger" not in counts  # nothing left to poll for


def test_a_read_only_account_sees_the_issue_but_changes_nothing(browser, tree, staff):
    issue = draft(staff.secretary, tree["a1"])
    reader = browser("weiyuan")
    page = _text(reader.get(f"/admin/newspaper/{issue.id}"))
    assert "安全生产专刊" in page and 'id="submit-form"' not in page and 'id="issue-form"' not in page
    for path in ("/submit", "/delete", "/audience"):
        assert reader.post(f"/admin/newspaper/{issue.id}{path}").status_code == 403
    assert reader.get("/admin/newspaper/new").status_code == 403
    db.session.expire_all()
    assert issue.status is IssueStatus.DRAFT


def test_a_time_already_past_is_refused_and_a_scheduled_issue_keeps_beijing_time(browser, tree, staff):
    issue = approved(staff.secretary, staff.general, tree["a1"])
    general = browser("zongzhi")
    general.post(f"/admin/newspaper/{issue.id}/publish", {"when": "at", "publish_at": "2020-01-01T08:00"})
    assert "定时发布的时间已过" in flash_of(general, f"/admin/newspaper/{issue.id}")
    general.post(f"/admin/newspaper/{issue.id}/publish", {"when": "at", "publish_at": "明天早上"})
    assert "请填写发布时间" in flash_of(general, f"/admin/newspaper/{issue.id}")
    db.session.expire_all()
    assert issue.status is IssueStatus.APPROVED and issue.publish_at is None

    day = (utcnow() + timedelta(days=30)).date()
    general.post(f"/admin/newspaper/{issue.id}/publish", {"when": "at", "publish_at": f"{day}T08:00"})
    db.session.expire_all()
    assert issue.publish_at == datetime(day.year, day.month, day.day, 0, 0, tzinfo=UTC)  # 08:00 in Beijing
    page = _text(general.get(f"/admin/newspaper/{issue.id}"))
    assert f"将于 <b>{day} 08:00</b>（北京时间）自动发布" in page
    assert f'value="{day}T08:00"' in page
    assert f"定时 {day:%m-%d} 08:00" in _text(general.get("/admin/newspaper/"))
    far = (utcnow() + timedelta(days=400)).date()
    general.post(f"/admin/newspaper/{issue.id}/publish", {"when": "at", "publish_at": f"{far}T08:00"})
    assert "定时发布最多可提前一年" in flash_of(general, f"/admin/newspaper/{issue.id}")
    general.post(f"/admin/newspaper/{issue.id}/unschedule")
    db.session.expire_all()
    assert issue.publish_at is None and issue.status is IssueStatus.APPROVED
    assert _actions()[-2:] == ["news_issue.schedule", "news_issue.unschedule"]


def test_a_number_already_taken_is_refused_and_no_issue_is_made(browser, tree, staff):
    draft(staff.secretary, tree["a1"])
    secretary = browser("shuji")
    form = {"org_id": tree["a1"].id, "title": "重复期号", "number": "1"}
    page = _text(secretary.post("/admin/newspaper/new", form))
    assert "甲一支部已有第 1 期，请换一个期号" in page and 'value="重复期号"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NewsIssue)) == 1
    secretary.post("/admin/newspaper/new", form | {"number": "128"})
    assert db.session.scalar(sa.select(NewsIssue.number).where(NewsIssue.title == "重复期号")) == 128
    assert "期号应为 1 到 99999 之间的整数" in _text(
        secretary.post("/admin/newspaper/new", form | {"number": "第一期"})
    )


def test_an_issue_under_review_is_not_edited(browser, tree, staff):
    issue = draft(staff.secretary, tree["a1"])
    workflow.submit(staff.secretary, issue)
    db.session.commit()
    secretary = browser("shuji")
    secretary.post(f"/admin/newspaper/{issue.id}", {"title": "偷偷改标题"})
    assert workflow.ONLY_DRAFTS in flash_of(secretary, f"/admin/newspaper/{issue.id}")
    article = issue.articles[0]
    editor = secretary.get(f"/admin/newspaper/articles/{article.id}")
    assert editor.status_code == 302  # back to the issue, with the reason
    secretary.post(f"/admin/newspaper/articles/{article.id}/delete")
    db.session.expire_all()
    assert issue.title == "安全生产专刊" and len(issue.articles) == 1


def test_the_schedule_form_suggests_tomorrow_morning_in_beijing(browser, tree, staff):
    from server.newspaper.forms import next_morning

    assert next_morning(datetime(2027, 3, 1, 17, 30, tzinfo=UTC)) == datetime(
        2027, 3, 3, 0, 0, tzinfo=UTC
    )  # 01:30 there
    assert next_morning(datetime(2027, 3, 1, 15, 59, tzinfo=UTC)) == datetime(2027, 3, 2, 0, 0, tzinfo=UTC)
    issue = approved(staff.secretary, staff.general, tree["a1"])
    page = _text(browser("zongzhi").get(f"/admin/newspaper/{issue.id}"))
    tomorrow = (utcnow().astimezone(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date()
    assert f'name="publish_at" value="{tomorrow}T08:00"' in page
