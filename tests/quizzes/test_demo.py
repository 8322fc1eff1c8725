"""The demo shows every quiz feature with something real: a bank, an exam that ended with its results, daily
practice members have been doing, a contest under way with its standings, and the points they earned."""

from __future__ import annotations

import sqlalchemy as sa

from server.db import db
from server.points.models import PointsEntry
from server.quizzes.contest import contest_board
from server.quizzes.models import Attempt, AttemptStatus, Question, Quiz, QuizKind, QuizStatus, WrongAnswer
from server.quizzes.results import results


def test_the_demo_has_quizzes_with_results_points_and_a_live_contest(app, demo):
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) >= 30
    quizzes = {quiz.kind: quiz for quiz in db.session.scalars(sa.select(Quiz))}
    exam, practice, contest = quizzes[QuizKind.EXAM], quizzes[QuizKind.PRACTICE], quizzes[QuizKind.CONTEST]
    assert (exam.status, practice.status, contest.status) == (
        QuizStatus.CLOSED,
        QuizStatus.PUBLISHED,
        QuizStatus.PUBLISHED,
    )
    figures = results(exam)
    assert figures.participants > 30 and 40 < figures.average < 95 and 0 < figures.passed < figures.participants
    assert len(figures.questions) >= 20 and sum(1 for b in figures.branches if b.participants) == 12
    standings, submitted, _ = contest_board(contest)
    assert submitted > 5 and standings[0].rank == 1 and standings[0].score >= standings[-1].score
    open_attempts = db.session.scalar(sa.select(sa.func.count()).where(Attempt.status == AttemptStatus.IN_PROGRESS))
    assert open_attempts == 0
    sources = dict(
        db.session.execute(sa.select(PointsEntry.source, sa.func.count()).group_by(PointsEntry.source)).tuples().all()
    )
    assert {source.value for source in sources} == {"exam", "practice", "contest"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WrongAnswer)) > 50
