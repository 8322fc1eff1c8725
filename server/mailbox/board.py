"""The branch message board (留言板): members of a branch post, its secretary moderates.

A member sees the visible posts of their own branch, and their own posts still waiting for approval;
nothing of another branch. A branch that moderates first (``MailboxSettings.board_premoderation``) shows a
post only once the secretary approved it. The secretary hides a post and may restore it; every change is
on the audit trail. Posts are signed: the board is a public square of the branch, not an anonymous box.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from server.auth.models import AdminUser
from server.auth.scope import in_scope, require_org
from server.db import db, utcnow
from server.errors import AppError, NotFound
from server.mailbox import limits, settings
from server.mailbox.models import POST_STATUS_LABELS, BoardPost, PostStatus
from server.members.models import Member

POST_MISSING = "留言不存在"
MAX_POST = 500
PAGE_SIZE = 30
#: show / hide: which statuses each moderation step starts from
MODERATION = {
    "show": (frozenset({PostStatus.PENDING, PostStatus.HIDDEN}), PostStatus.VISIBLE),
    "hide": (frozenset({PostStatus.PENDING, PostStatus.VISIBLE}), PostStatus.HIDDEN),
}


def post(member: Member, body: str) -> BoardPost:
    """A new post on the member's branch board: visible at once, or waiting for the secretary."""
    body = (body or "").strip()
    if not body:
        raise AppError("post_blank", "请填写留言内容", status=422, fields={"body": ["请填写留言内容"]})
    limits.spend_post(member.id)
    waiting = settings.premoderated(member.org_id)
    row = BoardPost(
        org_id=member.org_id,
        member_id=member.id,
        body=body,
        status=PostStatus.PENDING if waiting else PostStatus.VISIBLE,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row


def branch_posts(member: Member, limit: int = 50) -> list[BoardPost]:
    """What the member sees on their branch's board: visible posts, and their own that wait; newest first."""
    mine_waiting = sa.and_(BoardPost.member_id == member.id, BoardPost.status == PostStatus.PENDING)
    return list(
        db.session.scalars(
            sa.select(BoardPost)
            .where(BoardPost.org_id == member.org_id, sa.or_(BoardPost.status == PostStatus.VISIBLE, mine_waiting))
            .options(sa.orm.joinedload(BoardPost.member))
            .order_by(BoardPost.created_at.desc(), BoardPost.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class Moderation:
    posts: list[BoardPost]
    page: int
    pages: int
    waiting: int


def for_moderation(admin: AdminUser, status: PostStatus | None = None, page: int = 1) -> Moderation:
    """The posts of the boards in the admin's scope, waiting ones first, then newest."""
    where = [in_scope(BoardPost.org_id, admin)]
    if status is not None:
        where.append(BoardPost.status == status)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(BoardPost).where(*where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    waiting_first = sa.case((BoardPost.status == PostStatus.PENDING, 0), else_=1)
    rows = db.session.scalars(
        sa.select(BoardPost)
        .where(*where)
        .options(sa.orm.joinedload(BoardPost.member), sa.orm.joinedload(BoardPost.org))
        .order_by(waiting_first, BoardPost.created_at.desc(), BoardPost.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    waiting = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(BoardPost)
        .where(in_scope(BoardPost.org_id, admin), BoardPost.status == PostStatus.PENDING)
    )
    return Moderation(list(rows), page, pages, waiting or 0)


def get_post(admin: AdminUser, post_id: int, *, write: bool = False) -> BoardPost:
    row = db.session.get(BoardPost, post_id)
    if row is None:
        raise NotFound(POST_MISSING)
    require_org(admin, row.org, write=write, missing=POST_MISSING)
    return row


def moderate(admin: AdminUser, row: BoardPost, step: str, now: datetime | None = None) -> BoardPost:
    """Show (approve or restore) or hide a post; a step that changes nothing is refused."""
    starts, to = MODERATION[step]
    if row.status not in starts:
        raise AppError("bad_transition", f"这条留言{POST_STATUS_LABELS[row.status]}，无需再操作", status=409)
    row.status = to
    row.moderated_at = now or utcnow()
    row.moderator_id = admin.id
    row.audit_step = step
    db.session.flush()
    return row
