"""The demo shows the newspaper with something real: issues read, liked and forwarded, one waiting for review."""

from __future__ import annotations

import sqlalchemy as sa

from server.audit.models import AuditLog
from server.auth.models import AdminUser, Role
from server.db import db
from server.demo import seed
from server.inbox.models import Push, PushStatus
from server.newspaper.models import IssueStatus, NewsIssue
from server.newspaper.stats import branch_stats, issue_stats


def test_the_demo_has_published_issues_with_reads_likes_and_forwards_and_one_awaiting_review(app):
    seed(members_per_branch=6)
    db.session.commit()
    issues = db.session.scalars(sa.select(NewsIssue).order_by(NewsIssue.id)).all()
    assert sorted(issue.status.value for issue in issues) == ["published", "published", "published", "submitted"]
    for issue in issues:
        if issue.status is IssueStatus.PUBLISHED:
            stats = issue_stats(issue)
            assert stats.in_inbox == stats.recipients > 0 and 0 < stats.read <= stats.in_inbox
            assert issue.delivered_at and issue.published_at < issue.delivered_at
    totals = [issue_stats(issue) for issue in issues if issue.status is IssueStatus.PUBLISHED]
    assert (
        sum(s.likes for s in totals) > 0 and sum(s.finished for s in totals) > 0 and sum(s.forwards for s in totals) > 0
    )
    committee_issue = issues[0]
    root = AdminUser(username="root", password_hash="x", display_name="root", role=Role.SUPERADMIN)
    assert len(branch_stats(committee_issue, root)) == 12
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Push).where(Push.status == PushStatus.SENT)) > 0
    waiting = next(issue for issue in issues if issue.status is IssueStatus.SUBMITTED)
    assert waiting.org.name == "综合办公室党支部" and waiting.articles
    steps = set(db.session.scalars(sa.select(AuditLog.action).where(AuditLog.entity_type == "news_issue")))
    assert steps == {"news_issue.create", "news_issue.submit", "news_issue.approve", "news_issue.publish"}
