"""The newspaper's reach at a glance, for the dashboard: the latest published issue that reaches the
members of a subtree, and how many of those members have opened it (read rate as in
server/newspaper/stats.py: read ÷ in inbox).

An issue reaches a subtree when it was published by an organisation inside it or above it (a
committee's issue reaches its branches); only the subtree's own members are counted. Two queries.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from server.auth.scope import scope_filter, subtree_ids
from server.db import db
from server.inbox.models import InboxItem, InboxKind
from server.members.models import Member
from server.newspaper.models import IssueStatus, NewsIssue
from server.newspaper.stats import rate


@dataclass(frozen=True)
class LatestReach:
    issue_id: int
    number: int
    title: str
    #: published by an organisation in the subtree: its statistics page is open to the subtree's admin
    own: bool
    in_inbox: int
    read: int

    @property
    def read_rate(self) -> float | None:
        return rate(self.read, self.in_inbox)


def _above(path: str) -> list[int]:
    """The ids of the organisations on ``path`` ("/1/5/23/" → 1, 5, 23)."""
    return [int(part) for part in path.strip("/").split("/") if part]


def latest_reach(path: str) -> LatestReach | None:
    """The latest published issue reaching the subtree at ``path``, with its figures there; None if none."""
    inside = NewsIssue.org_id.in_(subtree_ids(path)) if path != "/" else sa.true()
    row = db.session.execute(
        sa.select(NewsIssue.id, NewsIssue.number, NewsIssue.title, inside.label("own"))
        .where(NewsIssue.status == IssueStatus.PUBLISHED, sa.or_(inside, NewsIssue.org_id.in_(_above(path))))
        .order_by(NewsIssue.published_at.desc(), NewsIssue.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    counts = sa.select(sa.func.count(), sa.func.count(InboxItem.read_at)).where(
        InboxItem.kind == InboxKind.NEWSPAPER, InboxItem.ref_id == row.id
    )
    if path != "/":
        counts = counts.join(Member, Member.id == InboxItem.member_id).where(scope_filter(Member.org_id, path))
    in_inbox, read = db.session.execute(counts).one()
    return LatestReach(row.id, row.number, row.title, bool(row.own), in_inbox, read)
