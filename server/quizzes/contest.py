"""The contest screen (竞答大屏): live standings a secretary projects while the contest runs, polled by htmx.

Each member's best submitted attempt; higher score first, then the faster (the server's time from start to
submission). Equal score and time share a rank.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from server.db import db
from server.members.models import Member
from server.orgs.models import Organisation
from server.quizzes.models import Attempt, AttemptStatus, Quiz


@dataclass(frozen=True)
class Standing:
    rank: int
    name: str
    branch: str
    score: int
    correct: int
    total: int
    elapsed_ms: int


def contest_board(quiz: Quiz, limit: int = 15) -> tuple[list[Standing], int, int]:
    """The contest's best ``limit`` (score, then the faster), submitted and still answering."""
    best = (
        sa.select(
            Attempt.member_id,
            Attempt.org_id,
            Attempt.score,
            Attempt.correct_count,
            Attempt.total,
            Attempt.elapsed_ms,
            sa.func.row_number()
            .over(partition_by=Attempt.member_id, order_by=(Attempt.score.desc(), Attempt.elapsed_ms.asc()))
            .label("place"),
        )
        .where(Attempt.quiz_id == quiz.id, Attempt.status == AttemptStatus.SUBMITTED)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Member.name, Organisation.name, best.c.score, best.c.correct_count, best.c.total, best.c.elapsed_ms)
        .select_from(best)
        .join(Member, Member.id == best.c.member_id)
        .join(Organisation, Organisation.id == best.c.org_id)
        .where(best.c.place == 1)
        .order_by(best.c.score.desc(), best.c.elapsed_ms.asc(), Member.name_sort)
        .limit(limit)
    ).all()
    standings, previous = [], None
    for position, (name, branch, score, correct, total, elapsed) in enumerate(rows, start=1):
        rank = standings[-1].rank if previous == (score, elapsed) else position
        standings.append(Standing(rank, name, branch, score, correct or 0, total, elapsed or 0))
        previous = (score, elapsed)
    counts = dict(
        db.session.execute(
            sa.select(Attempt.status, sa.func.count(sa.distinct(Attempt.member_id)))
            .where(Attempt.quiz_id == quiz.id)
            .group_by(Attempt.status)
        )
        .tuples()
        .all()
    )
    return standings, counts.get(AttemptStatus.SUBMITTED, 0), counts.get(AttemptStatus.IN_PROGRESS, 0)
