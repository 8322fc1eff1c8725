"""What the newspaper's admin pages need beyond the review workflow (server/newspaper/workflow.py): the lists,
the review queue, the audience picker's reach, numbering, ordering articles, scheduling by Beijing time,
deleting a draft.

The same rules as the workflow: everything is scoped to the admin's subtree (an issue of another
organisation is "missing"), only drafts are changed, operations flush and never commit, and every change
is a row change the audit trail records by itself (``__audited__`` models).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.auth.models import AdminUser
from server.auth.scope import can_see_org, in_scope, require_org
from server.db import db, utcnow
from server.errors import AppError, NotFound
from server.newspaper import audience, images, workflow
from server.newspaper.models import IssueStatus, Narrowing, NewsArticle, NewsIssue
from server.orgs import services as org_services
from server.orgs.models import Organisation, OrgKind

PER_PAGE = 20
#: the furthest ahead an issue may be scheduled
SCHEDULE_HORIZON = timedelta(days=366)
PAST_TIME = "定时发布的时间已过，请选择稍后的时间，或选择“立即发布”"
TOO_FAR = "定时发布最多可提前一年"


def _require_draft(issue: NewsIssue) -> None:
    if issue.status is not IssueStatus.DRAFT:
        raise AppError("wrong_issue_status", workflow.ONLY_DRAFTS, status=409)


# --- lists ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuePage:
    issues: list[NewsIssue]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))


def issues(admin: AdminUser, status: IssueStatus | None = None, page: int = 1) -> IssuePage:
    """Issues of the organisations ``admin`` administers, newest first."""
    where = [in_scope(NewsIssue.org_id, admin)]
    if status is not None:
        where.append(NewsIssue.status == status)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(NewsIssue).where(*where)) or 0
    rows = db.session.scalars(
        sa.select(NewsIssue)
        .where(*where)
        .options(sa.orm.joinedload(NewsIssue.org), sa.orm.joinedload(NewsIssue.author))
        .order_by(NewsIssue.created_at.desc(), NewsIssue.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return IssuePage(list(rows), total, page)


def counts_by_status(admin: AdminUser) -> dict[IssueStatus, int]:
    rows = db.session.execute(
        sa.select(NewsIssue.status, sa.func.count()).where(in_scope(NewsIssue.org_id, admin)).group_by(NewsIssue.status)
    ).all()
    counts = dict.fromkeys(IssueStatus, 0)
    counts.update({IssueStatus(status): count for status, count in rows})
    return counts


def reach_of_drafts(issues_: list[NewsIssue]) -> dict[int, int]:
    """How many members each issue not yet published would reach now (the list's 覆盖人数)."""
    waiting = (IssueStatus.DRAFT, IssueStatus.SUBMITTED, IssueStatus.APPROVED)
    return {issue.id: audience.reach(audience.rows_of(issue)) for issue in issues_ if issue.status in waiting}


def may_review(admin: AdminUser, issue: NewsIssue) -> bool:
    """Whether ``admin`` could approve or send back ``issue`` (the workflow decides for real)."""
    return (
        issue.status is IssueStatus.SUBMITTED
        and admin.role.can_write
        and can_see_org(admin, issue.org)
        and issue.author_id != admin.id
    )


def review_queue(admin: AdminUser) -> list[NewsIssue]:
    """Submitted issues in ``admin``'s scope written by someone else, the longest waiting first."""
    return list(
        db.session.scalars(
            sa.select(NewsIssue)
            .where(
                in_scope(NewsIssue.org_id, admin),
                NewsIssue.status == IssueStatus.SUBMITTED,
                sa.or_(NewsIssue.author_id.is_(None), NewsIssue.author_id != admin.id),
            )
            .options(sa.orm.joinedload(NewsIssue.org), sa.orm.joinedload(NewsIssue.author))
            .order_by(NewsIssue.submitted_at, NewsIssue.id)
        )
    )


def publishing_orgs(admin: AdminUser) -> list[Organisation]:
    """Organisations ``admin`` may publish as: every live one in the scope but party groups."""
    query = org_services.live_orgs_under(admin.scope_path).where(Organisation.kind != OrgKind.GROUP)
    return list(db.session.scalars(query.order_by(org_services.tree_order())))


def audience_choices(issue: NewsIssue) -> list[Organisation]:
    """What the picker offers: the publishing organisation's live subtree (inside the scope, since the
    publishing organisation is), in tree order. Party groups only under a branch's own issue: a committee
    reaches its thousands of groups through their branches, and a list of every group would bury the rest."""
    query = org_services.live_orgs_under(issue.org.path or "")
    if issue.org.kind is not OrgKind.BRANCH:
        query = query.where(Organisation.kind != OrgKind.GROUP)
    return list(db.session.scalars(query.order_by(org_services.tree_order())))


# --- writing -------------------------------------------------------------------------------------------------


def _check_number_free(org: Organisation, number: int, issue: NewsIssue | None = None) -> None:
    taken = db.session.scalar(
        sa.select(NewsIssue.id).where(
            NewsIssue.org_id == org.id, NewsIssue.number == number, NewsIssue.id != (issue.id if issue else None)
        )
    )
    if taken is not None:
        message = f"{org.name}已有第 {number} 期，请换一个期号"
        raise AppError("number_taken", message, status=422, fields={"number": [message]})


def new_issue(admin: AdminUser, org: Organisation, title: str, *, number: int | None, urgent: bool) -> NewsIssue:
    """A draft of ``org``, numbered as typed or the next number."""
    require_org(admin, org, write=True)
    if org.kind is OrgKind.GROUP:
        raise AppError("group_cannot_publish", "党小组不能单独编发手机报，请选择支部或上级组织", status=422)
    if number is not None:
        _check_number_free(org, number)
    issue = workflow.create_issue(admin, org, title, urgent=urgent)
    if number is not None and number != issue.number:
        issue.number = number
        db.session.flush()
    return issue


def save_issue(admin: AdminUser, issue: NewsIssue, *, title: str, number: int | None, urgent: bool) -> NewsIssue:
    """The draft's title, 期号 and urgency."""
    workflow.edit_issue(admin, issue, title=title, urgent=urgent)
    if number is not None and number != issue.number:
        _check_number_free(issue.org, number, issue)
        issue.number = number
        db.session.flush()
    return issue


def delete_draft(admin: AdminUser, issue: NewsIssue) -> None:
    """A draft nobody will publish, with its articles and audience (each deletion audited)."""
    require_org(admin, issue.org, write=True, missing=workflow.ISSUE_MISSING)
    _require_draft(issue)
    db.session.delete(issue)
    db.session.flush()


def cover_from_upload(data: bytes | None, current: str | None, *, remove: bool) -> str | None:
    """The article's cover after the form: a new upload (checked and resized), none, or as it was."""
    if data:
        return images.store(data)
    return None if remove else current


def move_article(admin: AdminUser, article: NewsArticle, step: int) -> NewsArticle:
    """Swap the article with its neighbour above (``step`` -1) or below (+1); nothing at either end."""
    issue = article.issue
    require_org(admin, issue.org, write=True, missing=workflow.ARTICLE_MISSING)
    _require_draft(issue)
    ordered = sorted(issue.articles, key=lambda a: a.position)
    index = ordered.index(article) + step
    if not 0 <= index < len(ordered):
        return article
    other = ordered[index]
    mine, theirs = article.position, other.position
    # Through a free position: the unique (issue, position) is checked row by row as the swap is written.
    article.position = 0
    db.session.flush()
    other.position = mine
    db.session.flush()
    article.position = theirs
    db.session.flush()
    return article


# --- audience ------------------------------------------------------------------------------------------------


def checked_targets(
    admin: AdminUser, issue: NewsIssue, targets: list[tuple[int, Narrowing]]
) -> list[tuple[Organisation, Narrowing]]:
    """The picker's choice as audience rows, checked as ``workflow.set_audience`` checks them: an organisation
    outside the admin's scope is "missing", one outside the publishing organisation is refused."""
    rows: dict[int, tuple[Organisation, Narrowing]] = {}
    for org_id, narrowing in targets:
        try:
            org = org_services.get_org(org_id)
        except NotFound:
            raise NotFound("组织不存在或已撤销") from None
        if not can_see_org(admin, org):
            raise NotFound("组织不存在或已撤销")
        if not issue.org.contains(org):
            raise AppError("audience_outside", workflow.OUTSIDE_ISSUE_ORG, status=403)
        audience.check_row(org, narrowing)
        rows[org.id] = (org, narrowing)
    return list(rows.values())


def reach_of(admin: AdminUser, issue: NewsIssue, targets: list[tuple[int, Narrowing]]) -> int:
    """How many members the picker's choice reaches: the number shown before anything is saved."""
    return audience.reach(checked_targets(admin, issue, targets))


# --- publishing ----------------------------------------------------------------------------------------------


def publish(admin: AdminUser, issue: NewsIssue, at: datetime | None, now: datetime | None = None) -> NewsIssue:
    """Publish now (``at`` None) or at ``at``; a time already past or more than a year ahead is refused
    rather than published at once by surprise."""
    now = now or utcnow()
    if at is not None and at <= now:
        raise AppError("schedule_past", PAST_TIME, status=422, fields={"publish_at": [PAST_TIME]})
    if at is not None and at > now + SCHEDULE_HORIZON:
        raise AppError("schedule_too_far", TOO_FAR, status=422, fields={"publish_at": [TOO_FAR]})
    return workflow.publish(admin, issue, at=at, now=now)


def unschedule(admin: AdminUser, issue: NewsIssue) -> NewsIssue:
    """An approved issue's publishing time taken back: it waits for someone to press 发布 again."""
    require_org(admin, issue.org, write=True, missing=workflow.ISSUE_MISSING)
    if not issue.scheduled:
        raise AppError("not_scheduled", "这一期没有定时发布", status=409)
    issue.audit_step = "unschedule"  # type: ignore[attr-defined]  (the audit trail names the step)
    issue.publish_at = None
    db.session.flush()
    return issue
