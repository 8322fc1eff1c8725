"""A quiz's results for the admin: participation, the score distribution, the correct rate of each question,
participation per branch.

Each member counts once, with their best submitted attempt (practice may be taken many times); the correct
rate of a question counts every submitted attempt that drew it. All of it is aggregated in the database:
an exam of 20,000 members is a few grouped scans, not 20,000 objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from server.auth.scope import scope_filter
from server.db import db
from server.members.models import Member
from server.orgs.models import Organisation
from server.quizzes.models import Attempt, AttemptItem, AttemptStatus, Question, Quiz, QuizKind
from server.quizzes.scoring import CONTEST_RIGHT, CONTEST_SPEED

BINS = 10


@dataclass
class QuestionStat:
    question_id: int
    stem: str
    kind: str
    drawn: int
    right: int

    @property
    def rate(self) -> float | None:
        return self.right / self.drawn if self.drawn else None


@dataclass
class BranchStat:
    org_id: int
    name: str
    members: int
    participants: int
    average: float | None
    passed: int

    @property
    def rate(self) -> float | None:
        return self.participants / self.members if self.members else None


@dataclass
class Results:
    quiz: Quiz
    audience: int
    participants: int
    in_progress: int
    average: float | None
    passed: int
    distribution: list[tuple[str, int]] = field(default_factory=list)
    questions: list[QuestionStat] = field(default_factory=list)
    branches: list[BranchStat] = field(default_factory=list)

    @property
    def pass_rate(self) -> float | None:
        if self.quiz.pass_mark is None or not self.participants:
            return None
        return self.passed / self.participants


def _best_attempts(quiz_id: int) -> sa.Subquery:
    """Each member's best submitted attempt: (member, branch at the time, score, passed)."""
    ranked = (
        sa.select(
            Attempt.member_id,
            Attempt.org_id,
            Attempt.score,
            Attempt.passed,
            sa.func.row_number()
            .over(
                partition_by=Attempt.member_id,
                order_by=(Attempt.score.desc(), Attempt.elapsed_ms.asc(), Attempt.id.asc()),
            )
            .label("place"),
        )
        .where(Attempt.quiz_id == quiz_id, Attempt.status == AttemptStatus.SUBMITTED)
        .subquery()
    )
    return sa.select(ranked).where(ranked.c.place == 1).subquery()


def max_score(quiz: Quiz) -> int:
    return quiz.draw_count * (CONTEST_RIGHT + CONTEST_SPEED) if quiz.kind is QuizKind.CONTEST else 100


def _distribution(quiz: Quiz, scores: list[int]) -> list[tuple[str, int]]:
    top = max_score(quiz)
    width = max(1, -(-top // BINS))
    counts = [0] * BINS
    for score in scores:
        counts[min(score // width, BINS - 1)] += 1
    labels = [f"{i * width}–{min((i + 1) * width - 1, top) if i < BINS - 1 else top}" for i in range(BINS)]
    return list(zip(labels, counts, strict=True))


def results(quiz: Quiz) -> Results:
    best = _best_attempts(quiz.id)
    scores = list(db.session.scalars(sa.select(best.c.score)))
    passed = sum(1 for ok in db.session.scalars(sa.select(best.c.passed)) if ok)
    in_progress = db.session.scalar(
        sa.select(sa.func.count()).where(Attempt.quiz_id == quiz.id, Attempt.status == AttemptStatus.IN_PROGRESS)
    )
    branches = _branches(quiz, best)
    return Results(
        quiz=quiz,
        audience=sum(branch.members for branch in branches),
        participants=len(scores),
        in_progress=in_progress,
        average=sum(scores) / len(scores) if scores else None,
        passed=passed,
        distribution=_distribution(quiz, scores),
        questions=_questions(quiz.id),
        branches=branches,
    )


def _questions(quiz_id: int) -> list[QuestionStat]:
    rows = db.session.execute(
        sa.select(
            Question.id,
            Question.stem,
            Question.kind,
            sa.func.count(),
            sa.func.sum(sa.case((AttemptItem.correct.is_(True), 1), else_=0)),
        )
        .select_from(AttemptItem)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(Question, Question.id == AttemptItem.question_id)
        .where(Attempt.quiz_id == quiz_id, Attempt.status == AttemptStatus.SUBMITTED)
        .group_by(Question.id, Question.stem, Question.kind)
    )
    stats = [QuestionStat(qid, stem, kind.label, drawn, int(right or 0)) for qid, stem, kind, drawn, right in rows]
    return sorted(stats, key=lambda stat: (stat.rate if stat.rate is not None else 2, stat.question_id))


def _branches(quiz: Quiz, best: sa.Subquery) -> list[BranchStat]:
    """Every branch of the audience: its members now, who took part (by their branch then), how well."""
    members = dict(
        db.session.execute(
            sa.select(Member.org_id, sa.func.count())
            .where(scope_filter(Member.org_id, quiz.org.path or "/"))
            .group_by(Member.org_id)
        )
        .tuples()
        .all()
    )
    taken = {
        org_id: (count, average, passed)
        for org_id, count, average, passed in db.session.execute(
            sa.select(
                best.c.org_id,
                sa.func.count(),
                sa.func.avg(best.c.score),
                sa.func.sum(sa.case((best.c.passed.is_(True), 1), else_=0)),
            ).group_by(best.c.org_id)
        )
    }
    org_ids = set(members) | set(taken)
    names = dict(
        db.session.execute(sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids)))
        .tuples()
        .all()
    )
    tree_keys = dict(
        db.session.execute(sa.select(Organisation.id, Organisation.tree_key).where(Organisation.id.in_(org_ids)))
        .tuples()
        .all()
    )
    stats = []
    for org_id in sorted(org_ids, key=lambda key: tree_keys.get(key) or ""):
        count, average, passed = taken.get(org_id, (0, None, 0))
        stats.append(
            BranchStat(
                org_id,
                names.get(org_id, ""),
                members.get(org_id, 0),
                count,
                float(average) if average is not None else None,
                int(passed or 0),
            )
        )
    return stats


def attempts_listing(quiz: Quiz) -> sa.Select:
    """Every submitted attempt with the member's name and branch, best first (the export's sheet)."""
    return (
        sa.select(Attempt, Member.name, Organisation.name.label("branch"))
        .join(Member, Member.id == Attempt.member_id)
        .join(Organisation, Organisation.id == Attempt.org_id)
        .where(Attempt.quiz_id == quiz.id, Attempt.status == AttemptStatus.SUBMITTED)
        .order_by(Attempt.score.desc(), Attempt.elapsed_ms.asc(), Attempt.id)
    )
