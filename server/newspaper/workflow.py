"""An issue's life: written (draft) → submitted → approved by a reviewer → published, now or at a set time;
sent back to its author as a draft; withdrawn.

Rules, each refused with a Chinese message a secretary can act on:

- only a draft can be edited, and only by an account that may write in the publishing organisation;
- the audience lies inside the publishing organisation's subtree and inside the editor's own scope:
  an organisation outside the scope is "missing", as everywhere (server/auth/scope.py);
- the reviewer administers the publishing organisation or one above it, may write, and is not the author;
- publishing (and scheduling) needs an account that administers every audience subtree;
- withdrawing hides the issue from every inbox (the inbox filters on the issue's status) and cancels
  the pushes that have not gone out; a push job running at that moment stops after its batch.

Every step is in the audit trail: the issue's row records each change, named by the step
(``issue.audit_step``); articles and audience rows are audited as they change. Operations flush, never
commit; the request (or the periodic job) commits once, and the delivery job is queued after that commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from server.auth.models import AdminUser
from server.auth.scope import ORG_MISSING, can_see_org, require_org, require_write
from server.db import db, utcnow
from server.errors import AppError, NotFound
from server.inbox import push
from server.inbox.models import InboxKind
from server.newspaper import audience, sanitise
from server.newspaper.models import IssueStatus, Narrowing, NewsArticle, NewsAudience, NewsIssue
from server.orgs.models import Organisation
from server.orgs.services import get_org
from server.tasks import enqueue_after_commit

ISSUE_MISSING = "手机报不存在"
ARTICLE_MISSING = "文章不存在"
ONLY_DRAFTS = "只有草稿可以修改，已提交的期刊请先由审核人退回"
AUTHOR_CANNOT_REVIEW = "不能审核自己撰写的期刊，请由本级或上级组织的其他管理员审核"
OUTSIDE_ISSUE_ORG = "只能发给本组织及下级组织的党员"
MAX_ARTICLES = 8


# --- finding --------------------------------------------------------------------------------------------


def get_issue(admin: AdminUser, issue_id: int, *, write: bool = False) -> NewsIssue:
    """An issue of an organisation ``admin`` administers; any other is "missing"."""
    issue = db.session.get(NewsIssue, issue_id)
    if issue is None:
        raise NotFound(ISSUE_MISSING)
    require_org(admin, issue.org, write=write, missing=ISSUE_MISSING)
    return issue


def get_article(admin: AdminUser, article_id: int, *, write: bool = False) -> NewsArticle:
    article = db.session.get(NewsArticle, article_id)
    if article is None:
        raise NotFound(ARTICLE_MISSING)
    require_org(admin, article.issue.org, write=write, missing=ARTICLE_MISSING)
    return article


def _require_status(issue: NewsIssue, *allowed: IssueStatus, message: str) -> None:
    if issue.status not in allowed:
        raise AppError("wrong_issue_status", message, status=409)


def _step(issue: NewsIssue, step: str, status: IssueStatus) -> None:
    issue.audit_step = step  # type: ignore[attr-defined]  (read by the audit trail, see the module docstring)
    issue.status = status


# --- writing --------------------------------------------------------------------------------------------


def next_number(org: Organisation) -> int:
    top = db.session.scalar(sa.select(sa.func.max(NewsIssue.number)).where(NewsIssue.org_id == org.id))
    return (top or 0) + 1


def _title(value: str, limit: int, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise AppError("title_required", f"请填写{what}", status=422, fields={"title": ["此项必填"]})
    if len(value) > limit:
        message = f"不能超过 {limit} 个字符"
        raise AppError("title_too_long", f"{what}{message}", status=422, fields={"title": [message]})
    return value


def create_issue(admin: AdminUser, org: Organisation, title: str, *, urgent: bool = False) -> NewsIssue:
    """A new draft, 第 N 期 of ``org`` (the next number), written by ``admin``."""
    require_org(admin, org, write=True)
    issue = NewsIssue(
        org=org, number=next_number(org), title=_title(title, 60, "期刊标题"), author_id=admin.id, urgent=urgent
    )
    db.session.add(issue)
    db.session.flush()
    return issue


def edit_issue(admin: AdminUser, issue: NewsIssue, *, title: str, urgent: bool) -> NewsIssue:
    require_org(admin, issue.org, write=True, missing=ISSUE_MISSING)
    _require_status(issue, IssueStatus.DRAFT, message=ONLY_DRAFTS)
    issue.title, issue.urgent = _title(title, 60, "期刊标题"), urgent
    db.session.flush()
    return issue


def _body(html: str) -> str:
    if len(html or "") > sanitise.MAX_BODY_CHARS:
        raise AppError("body_too_long", "正文太长，请分成几篇文章", status=422, fields={"body_html": ["正文太长"]})
    return sanitise.clean(html or "")


def add_article(
    admin: AdminUser, issue: NewsIssue, *, title: str, summary: str = "", body_html: str = "", cover: str | None = None
) -> NewsArticle:
    """An article at the end of the issue, its body sanitised."""
    require_org(admin, issue.org, write=True, missing=ISSUE_MISSING)
    _require_status(issue, IssueStatus.DRAFT, message=ONLY_DRAFTS)
    if len(issue.articles) >= MAX_ARTICLES:
        raise AppError("too_many_articles", f"一期最多 {MAX_ARTICLES} 篇文章")
    article = NewsArticle(
        title=_title(title, 80, "文章标题"),
        summary=(summary or "").strip()[:200],
        body_html=_body(body_html),
        cover=cover,
        position=max((a.position for a in issue.articles), default=0) + 1,
    )
    issue.articles.append(article)
    db.session.flush()
    return article


def edit_article(
    admin: AdminUser, article: NewsArticle, *, title: str, summary: str, body_html: str, cover: str | None
) -> NewsArticle:
    require_org(admin, article.issue.org, write=True, missing=ARTICLE_MISSING)
    _require_status(article.issue, IssueStatus.DRAFT, message=ONLY_DRAFTS)
    article.title, article.summary = _title(title, 80, "文章标题"), (summary or "").strip()[:200]
    article.body_html, article.cover = _body(body_html), cover
    db.session.flush()
    return article


def remove_article(admin: AdminUser, article: NewsArticle) -> None:
    require_org(admin, article.issue.org, write=True, missing=ARTICLE_MISSING)
    _require_status(article.issue, IssueStatus.DRAFT, message=ONLY_DRAFTS)
    article.issue.articles.remove(article)
    db.session.delete(article)  # deleted, not orphaned: the audit trail records a deletion
    db.session.flush()


def _check_audience_org(admin: AdminUser, issue: NewsIssue, org: Organisation) -> None:
    """Inside the admin's scope (else "missing") and inside the publishing organisation's subtree."""
    if not can_see_org(admin, org):
        raise NotFound(ORG_MISSING)
    if not issue.org.contains(org):
        raise AppError("audience_outside", OUTSIDE_ISSUE_ORG, status=403)


def set_audience(admin: AdminUser, issue: NewsIssue, targets: Iterable[tuple[int, Narrowing]]) -> list[NewsAudience]:
    """Replace the draft's audience: (organisation id, narrowing) pairs, each organisation once."""
    require_org(admin, issue.org, write=True, missing=ISSUE_MISSING)
    _require_status(issue, IssueStatus.DRAFT, message=ONLY_DRAFTS)
    chosen: dict[int, tuple[Organisation, Narrowing]] = {}
    for org_id, narrowing in targets:
        org = get_org(org_id)
        _check_audience_org(admin, issue, org)
        audience.check_row(org, narrowing)
        chosen[org.id] = (org, narrowing)
    # Rows changed in place, removed and added one by one, so that the audit trail says which subtree was
    # added, narrowed or dropped (a replaced collection would read as rows losing their issue).
    for row in list(issue.audiences):
        if row.org_id in chosen:
            row.narrowing = chosen.pop(row.org_id)[1]
        else:
            issue.audiences.remove(row)
            db.session.delete(row)
    issue.audiences.extend(NewsAudience(org=org, narrowing=narrowing) for org, narrowing in chosen.values())
    db.session.flush()
    return issue.audiences


# --- review ---------------------------------------------------------------------------------------------


def submit(admin: AdminUser, issue: NewsIssue) -> NewsIssue:
    require_org(admin, issue.org, write=True, missing=ISSUE_MISSING)
    _require_status(issue, IssueStatus.DRAFT, message="只有草稿可以提交审核")
    if not issue.articles:
        raise AppError("issue_empty", "请至少添加一篇文章后再提交")
    if not issue.audiences:
        raise AppError("issue_no_audience", "请先选择发送范围")
    _step(issue, "submit", IssueStatus.SUBMITTED)
    issue.submitted_at = utcnow()
    db.session.flush()
    return issue


def _require_reviewer(reviewer: AdminUser, issue: NewsIssue) -> None:
    """Same or a higher organisation (else the issue is "missing"), a writing role, not the author."""
    require_org(reviewer, issue.org, missing=ISSUE_MISSING)
    require_write(reviewer)
    if issue.author_id is not None and reviewer.id == issue.author_id:
        raise AppError("author_cannot_review", AUTHOR_CANNOT_REVIEW, status=403)


def approve(reviewer: AdminUser, issue: NewsIssue, note: str = "") -> NewsIssue:
    _require_reviewer(reviewer, issue)
    _require_status(issue, IssueStatus.SUBMITTED, message="只有待审核的期刊可以审核")
    _step(issue, "approve", IssueStatus.APPROVED)
    issue.reviewer_id, issue.reviewed_at, issue.review_note = reviewer.id, utcnow(), (note or "").strip()[:500]
    db.session.flush()
    return issue


def send_back(reviewer: AdminUser, issue: NewsIssue, note: str) -> NewsIssue:
    """Back to the author as a draft, with the reviewer's reason."""
    _require_reviewer(reviewer, issue)
    _require_status(issue, IssueStatus.SUBMITTED, message="只有待审核的期刊可以退回")
    note = (note or "").strip()
    if not note:
        raise AppError("note_required", "请写明退回原因", status=422, fields={"note": ["此项必填"]})
    _step(issue, "send_back", IssueStatus.DRAFT)
    issue.reviewer_id, issue.reviewed_at, issue.review_note = reviewer.id, utcnow(), note[:500]
    db.session.flush()
    return issue


# --- publishing -------------------------------------------------------------------------------------------


def _require_publisher(admin: AdminUser, issue: NewsIssue) -> None:
    """May write in the issue's organisation and administers every audience subtree."""
    require_org(admin, issue.org, write=True, missing=ISSUE_MISSING)
    for audience_row in issue.audiences:
        if not can_see_org(admin, audience_row.org):
            raise AppError("audience_outside_scope", "发送范围包含您无权管理的组织，不能发布", status=403)


def publish(admin: AdminUser, issue: NewsIssue, at: datetime | None = None, now: datetime | None = None) -> NewsIssue:
    """Publish an approved issue now, or schedule it for ``at`` (the periodic job publishes it then)."""
    now = now or utcnow()
    _require_publisher(admin, issue)
    _require_status(issue, IssueStatus.APPROVED, message="只有审核通过的期刊可以发布")
    if at is not None and at > now:
        issue.audit_step = "schedule"  # type: ignore[attr-defined]
        issue.publish_at = at
        db.session.flush()
        return issue
    return _publish_now(issue, now)


def _publish_now(issue: NewsIssue, now: datetime) -> NewsIssue:
    from server.newspaper.tasks import deliver_issue

    _step(issue, "publish", IssueStatus.PUBLISHED)
    issue.published_at = now
    db.session.flush()
    enqueue_after_commit(deliver_issue, issue.id)
    return issue


def publish_due(now: datetime | None = None) -> list[int]:
    """Publish every approved issue whose time has come; their ids. Run by the periodic job as the system."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(NewsIssue)
        .where(NewsIssue.status == IssueStatus.APPROVED, NewsIssue.publish_at <= now)
        .order_by(NewsIssue.publish_at)
        .with_for_update(skip_locked=True)
    ).all()
    return [_publish_now(issue, now).id for issue in due]


def withdraw(admin: AdminUser, issue: NewsIssue, now: datetime | None = None) -> NewsIssue:
    """Hide an approved or published issue from every inbox and stop its pushes."""
    now = now or utcnow()
    require_org(admin, issue.org, write=True, missing=ISSUE_MISSING)
    _require_status(issue, IssueStatus.APPROVED, IssueStatus.PUBLISHED, message="只有已通过或已发布的期刊可以撤回")
    _step(issue, "withdraw", IssueStatus.WITHDRAWN)
    issue.withdrawn_at = now
    db.session.flush()
    push.cancel_pending(InboxKind.NEWSPAPER, issue.id, now)
    return issue
