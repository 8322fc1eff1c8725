"""Writing, review and publishing: who may do each step, and the audit trail of every step."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.audit.models import AuditLog
from server.db import db, utcnow
from server.errors import AppError, NotFound, PermissionDenied
from server.newspaper import workflow
from server.newspaper.models import IssueStatus, Narrowing
from tests.newspaper.conftest import approved, draft


def test_issues_are_numbered_per_organisation(tree, staff):
    first = draft(staff.secretary, tree["a1"])
    second = draft(staff.secretary, tree["a1"])
    other = draft(staff.sibling, tree["a2"])
    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert first.status is IssueStatus.DRAFT and first.author_id == staff.secretary.id


def test_the_author_cannot_review_their_own_issue(tree, staff):
    issue = draft(staff.secretary, tree["a1"])
    workflow.submit(staff.secretary, issue)
    db.session.commit()
    with pytest.raises(AppError) as refused:
        workflow.approve(staff.secretary, issue)
    assert refused.value.code == "author_cannot_review"
    assert "不能审核自己撰写的期刊" in refused.value.message
    with pytest.raises(AppError):
        workflow.send_back(staff.secretary, issue, "再改改")
    db.session.rollback()
    assert db.session.get(type(issue), issue.id).status is IssueStatus.SUBMITTED


def test_a_reviewer_of_the_same_or_a_higher_organisation_approves(tree, staff):
    by_colleague = approved(staff.secretary, staff.colleague, tree["a1"])
    by_general = approved(staff.secretary, staff.general, tree["a1"])
    assert by_colleague.status is by_general.status is IssueStatus.APPROVED
    assert by_general.reviewer_id == staff.general.id and by_general.reviewed_at is not None


def test_a_reviewer_of_another_branch_finds_no_issue_and_a_read_only_account_may_not(tree, staff):
    issue = draft(staff.secretary, tree["a1"])
    workflow.submit(staff.secretary, issue)
    db.session.commit()
    with pytest.raises(NotFound) as missing:
        workflow.approve(staff.sibling, issue)
    assert missing.value.message == workflow.ISSUE_MISSING
    with pytest.raises(PermissionDenied):
        workflow.approve(staff.reader, issue)


def test_sending_back_returns_a_draft_with_the_reason(tree, staff):
    issue = draft(staff.secretary, tree["a1"])
    workflow.submit(staff.secretary, issue)
    with pytest.raises(AppError, match="退回原因"):
        workflow.send_back(staff.general, issue, "  ")
    workflow.send_back(staff.general, issue, "第二篇标题有错别字")
    db.session.commit()
    assert issue.status is IssueStatus.DRAFT and issue.review_note == "第二篇标题有错别字"
    workflow.edit_issue(staff.secretary, issue, title="安全生产专刊（修订）", urgent=False)


def test_only_drafts_can_be_edited(tree, staff):
    issue = draft(staff.secretary, tree["a1"])
    workflow.submit(staff.secretary, issue)
    with pytest.raises(AppError) as refused:
        workflow.edit_issue(staff.secretary, issue, title="偷偷改标题", urgent=False)
    assert refused.value.status == 409
    with pytest.raises(AppError):
        workflow.add_article(staff.secretary, issue, title="加一篇")


def test_an_issue_cannot_go_to_a_subtree_its_author_does_not_administer(tree, staff):
    issue = workflow.create_issue(staff.secretary, tree["a1"], "安全生产专刊")
    with pytest.raises(NotFound) as missing:  # 甲二 is outside 甲一's secretary's scope: "missing"
        workflow.set_audience(staff.secretary, issue, [(tree["a2"].id, Narrowing.ALL)])
    assert missing.value.message == "组织不存在或已撤销"
    general_issue = workflow.create_issue(staff.general, tree["a1"], "支部专刊")
    with pytest.raises(AppError) as refused:  # 甲二 is the general branch's, but not under the publishing 甲一
        workflow.set_audience(staff.general, general_issue, [(tree["a2"].id, Narrowing.ALL)])
    assert refused.value.code == "audience_outside"


def test_publishing_needs_an_account_that_administers_every_audience_subtree(tree, staff, make_admin):
    from server.auth.models import Role

    issue = approved(
        staff.general, staff.root, tree["general_a"], [(tree["a1"], Narrowing.ALL), (tree["a2"], Narrowing.ALL)]
    )
    with pytest.raises(NotFound):  # 甲一's secretary does not administer the publishing general branch
        workflow.publish(staff.secretary, issue)
    with pytest.raises(PermissionDenied):
        workflow.publish(make_admin("weiyuan2", Role.COMMITTEE, tree["general_a"]), issue)
    workflow.publish(staff.general, issue)
    db.session.commit()
    assert issue.status is IssueStatus.PUBLISHED


def test_a_party_group_is_reached_only_as_a_group(tree, staff):
    issue = workflow.create_issue(staff.secretary, tree["a1"], "小组学习")
    with pytest.raises(AppError, match="党小组只能选择"):
        workflow.set_audience(staff.secretary, issue, [(tree["a1_group"].id, Narrowing.ALL)])
    with pytest.raises(AppError, match="只能用于党小组"):
        workflow.set_audience(staff.secretary, issue, [(tree["a1"].id, Narrowing.GROUP)])
    workflow.set_audience(staff.secretary, issue, [(tree["a1_group"].id, Narrowing.GROUP)])


def test_submitting_needs_an_article_and_an_audience(tree, staff):
    issue = workflow.create_issue(staff.secretary, tree["a1"], "空的一期")
    with pytest.raises(AppError, match="至少添加一篇文章"):
        workflow.submit(staff.secretary, issue)
    workflow.add_article(staff.secretary, issue, title="一篇")
    with pytest.raises(AppError, match="发送范围"):
        workflow.submit(staff.secretary, issue)


def test_scheduled_issues_are_published_by_the_periodic_job_when_due(tree, staff):
    from server.newspaper.tasks import publish_scheduled

    issue = approved(staff.secretary, staff.general, tree["a1"])
    at = utcnow() + timedelta(hours=2)
    workflow.publish(staff.general, issue, at=at)
    db.session.commit()
    assert issue.scheduled and issue.status is IssueStatus.APPROVED
    assert publish_scheduled(utcnow()) == []
    assert publish_scheduled(at + timedelta(seconds=1)) == [issue.id]
    db.session.expire_all()
    assert issue.status is IssueStatus.PUBLISHED and issue.published_at == at + timedelta(seconds=1)


def test_every_step_is_in_the_audit_trail_by_its_name(tree, staff):
    issue = approved(staff.secretary, staff.general, tree["a1"])
    workflow.publish(staff.general, issue)
    db.session.commit()
    workflow.withdraw(staff.general, issue)
    db.session.commit()
    actions = db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.entity_type == "news_issue").order_by(AuditLog.id)
    ).all()
    assert actions == [
        "news_issue.create",
        "news_issue.submit",
        "news_issue.approve",
        "news_issue.publish",
        "news_issue.withdraw",
    ]
    approve = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "news_issue.approve"))
    assert approve.actor_name == "总支书记" and approve.org_id == tree["a1"].id
    assert approve.after["status"] == "approved"
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "news_article.create")) == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "news_audience.create")) == 1


def test_the_audience_of_a_draft_can_be_chosen_again(tree, staff):
    issue = draft(staff.secretary, tree["a1"])
    workflow.set_audience(staff.secretary, issue, [(tree["a1"].id, Narrowing.PROBATIONARY)])
    db.session.commit()
    workflow.set_audience(
        staff.secretary, issue, [(tree["a1"].id, Narrowing.ALL), (tree["a1_group"].id, Narrowing.GROUP)]
    )
    db.session.commit()
    db.session.expire_all()
    assert sorted((a.org_id, a.narrowing) for a in issue.audiences) == [
        (tree["a1"].id, Narrowing.ALL),
        (tree["a1_group"].id, Narrowing.GROUP),
    ]
