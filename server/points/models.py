"""The learning-points ledger: one row per thing that earned points, never updated, never deleted.

Totals and leaderboards are sums over this table (``leaderboard.py``); a Redis copy of them, where there is
one, is rebuilt from it at any time. The unique key (member, source, ref) is what makes crediting the same
exam, contest or article twice change nothing.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db import UTCDateTime, db, utcnow
from server.orgs.models import enum_column


class PointsSource(enum.StrEnum):
    PRACTICE = "practice"  # 每日练习
    EXAM = "exam"  # 考试
    CONTEST = "contest"  # 竞答
    READING = "reading"  # 阅读手机报

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self]


SOURCE_LABELS = {
    PointsSource.PRACTICE: "每日练习",
    PointsSource.EXAM: "考试",
    PointsSource.CONTEST: "竞答",
    PointsSource.READING: "阅读手机报",
}


class PointsEntry(db.Model):
    """Points one member earned for one thing (an exam, a practice round, an article read to the end)."""

    __tablename__ = "points_entries"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "source", "ref", name="points_entries_once_per_thing"),
        sa.CheckConstraint("points > 0", name="points_positive"),
        # Leads with the member and the day: the day's sum per source for the cap, and every total
        # (all time, or from the first of the month) as an index-only scan per member.
        sa.Index("ix_points_entries_member_day", "member_id", "earned_on", "source", "points"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: who earned them
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    #: what kind of learning
    source: Mapped[PointsSource] = mapped_column(enum_column(PointsSource, "points_source"))
    #: what earned them, e.g. "exam:12", "practice:3051", "article:40"; unique per member and source
    ref: Mapped[str] = mapped_column(sa.String(64))
    #: points credited (after the daily cap)
    points: Mapped[int]
    #: the Beijing-time day they count for (daily caps, this month's board)
    earned_on: Mapped[date]
    #: what the member reads in 我的积分, e.g. the quiz's title
    note: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    #: when (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
