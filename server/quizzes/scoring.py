"""Scoring, on the server only: closing an attempt, marking each answer, the wrong-answer book, points.

:func:`finish` is the one way an attempt ends, whether the member submits or the clock runs out (the
periodic job, or the member's next visit). It first claims the attempt while it is still
``in_progress``: on SQLite with one guarded UPDATE (the single writer serialises them), on PostgreSQL with
its row lock (``FOR NO KEY UPDATE``; the UPDATE that writes the score closes it, see ``scoring_pg``). Of a
submission and the job racing, or two taps of 交卷, exactly one goes on; the other finds nothing to do. On
PostgreSQL the claim's lock also waits for an answer being saved at that moment (which holds the attempt
``FOR SHARE``), so the score counts it or the save is refused. Hot path for a 20,000-member exam: Core
statements, built once; on PostgreSQL four per submission (identity, claim, read, write) plus the commit.

Scores: practice and exams are the percent of questions right. Contests count correctness and speed:
each right answer is worth 100 points plus up to 50 for the time left of its per-question limit (measured
by the server, ``AttemptItem.ms_taken``); ties go to the faster total time (``elapsed_ms``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from server.db import DriverStatement, core_execute, db, driver_or_core, postgresql_connection
from server.members.models import Member
from server.orgs.models import Organisation
from server.points import services as points_services
from server.points.models import PointsSource
from server.quizzes import scoring_pg
from server.quizzes.models import (
    Attempt,
    AttemptItem,
    AttemptStatus,
    ClosedBy,
    Question,
    Quiz,
    QuizKind,
    QuizStatus,
    Reveal,
    WrongAnswer,
)

CONTEST_RIGHT = 100
CONTEST_SPEED = 50
WRONG_BOOK_TITLE = "错题练习"

_attempts, _items, _questions = Attempt.__table__, AttemptItem.__table__, Question.__table__
_quizzes, _members, _orgs = Quiz.__table__, Member.__table__, Organisation.__table__

_CLAIMED = (_attempts.c.member_id, _attempts.c.quiz_id, _attempts.c.started_at, _attempts.c.deadline_at)
#: the job (or a visit after the deadline) closes an attempt: ``closed_by`` is said
_CLAIM = (
    sa.update(_attempts)
    .where(_attempts.c.id == sa.bindparam("attempt_id"), _attempts.c.status == AttemptStatus.IN_PROGRESS.value)
    .values(status=AttemptStatus.SUBMITTED.value, submitted_at=sa.bindparam("now"), closed_by=sa.bindparam("by"))
    .returning(*_CLAIMED)
)
#: the member submits their own attempt: in time it is theirs, past the deadline the clock's
_CLAIM_OWN = (
    sa.update(_attempts)
    .where(
        _attempts.c.id == sa.bindparam("attempt_id"),
        _attempts.c.member_id == sa.bindparam("of_member"),
        _attempts.c.status == AttemptStatus.IN_PROGRESS.value,
    )
    .values(
        status=AttemptStatus.SUBMITTED.value,
        submitted_at=sa.bindparam("now"),
        closed_by=sa.case(
            (_attempts.c.deadline_at >= sa.bindparam("now"), ClosedBy.MEMBER.value), else_=ClosedBy.TIMEOUT.value
        ),
    )
    .returning(*_CLAIMED, _attempts.c.closed_by)
)
# PostgreSQL claims the attempt with its row lock alone (``FOR NO KEY UPDATE``, as an UPDATE takes; a claim
# racing another waits, then finds it no longer open) and closes it in the same UPDATE that writes its score
# (``scoring_pg``): one new version of the row and of its index entries per submission instead of two.
_LOCK_OPEN = (
    sa.select(*_CLAIMED)
    .where(_attempts.c.id == sa.bindparam("attempt_id"), _attempts.c.status == AttemptStatus.IN_PROGRESS.value)
    .with_for_update(key_share=True)
)
_LOCK_OWN_OPEN = _LOCK_OPEN.where(_attempts.c.member_id == sa.bindparam("of_member"))
# One read after the claim (a statement of its own, so that it sees every answer saved before the claim
# took the row): the paper with its key, the quiz's rules, and the path of the member's branch. The rules
# and the path are joined to the first question only (every paper has one, at position 1), and the three
# JSON columns come as text, parsed in one go: each cell read costs CPU, and a 20,000-member exam reads
# them all.
_first = _items.c.position == 1
_PAPER_AND_RULES = (
    sa.select(
        _items.c.position,
        _items.c.question_id,
        _items.c.ms_taken,
        sa.cast(_items.c.option_order, sa.Text).label("option_order"),
        sa.cast(_items.c.given, sa.Text).label("given"),
        sa.cast(_questions.c.answer, sa.Text).label("answer"),
        _orgs.c.path,
        _quizzes.c.kind,
        _quizzes.c.title,
        _quizzes.c.pass_mark,
        _quizzes.c.per_question_s,
        _quizzes.c.points_per_correct,
        _quizzes.c.pass_points,
        _quizzes.c.reveal,
        _quizzes.c.status,
        _quizzes.c.closes_at,
    )
    .select_from(_items)
    .join(_questions, _questions.c.id == _items.c.question_id)
    .outerjoin(_attempts, sa.and_(_attempts.c.id == _items.c.attempt_id, _first))
    .outerjoin(_members, _members.c.id == _attempts.c.member_id)
    .outerjoin(_orgs, _orgs.c.id == _members.c.org_id)
    .outerjoin(_quizzes, _quizzes.c.id == _attempts.c.quiz_id)
    .where(_items.c.attempt_id == sa.bindparam("attempt_id"))
    .order_by(_items.c.position)
)
# PostgreSQL runs the claim and the read on the driver's own path (``DriverStatement``): a 20,000-member exam
# pays SQLAlchemy's per-statement machinery on every one of them.
_LOCK_OPEN_PG = DriverStatement(_LOCK_OPEN)
_LOCK_OWN_OPEN_PG = DriverStatement(_LOCK_OWN_OPEN)
_PAPER_AND_RULES_PG = DriverStatement(_PAPER_AND_RULES)
# Which answers were right, as one string of '1' and '0' by position (positions count from 1): the same SQL
# text for every paper, where ``position IN (...)`` was rewritten for each count on every call.
_MARK_ITEMS = (
    sa.update(_items)
    .where(_items.c.attempt_id == sa.bindparam("of_attempt"))
    .values(correct=sa.func.substr(sa.bindparam("right", type_=sa.String), _items.c.position, 1) == "1")
)
_SCORE = (
    sa.update(_attempts)
    .where(_attempts.c.id == sa.bindparam("attempt_id"))
    .values(
        correct_count=sa.bindparam("v_correct"),
        total=sa.bindparam("v_total"),
        score=sa.bindparam("v_score"),
        passed=sa.bindparam("v_passed"),
        points_awarded=sa.bindparam("v_points"),
        elapsed_ms=sa.bindparam("v_elapsed"),
    )
)
_wrong = WrongAnswer.__table__
_RECORD_WRONG: dict[int, sa.TextClause] = {}


def _record_wrong(count: int) -> sa.TextClause:
    """``INSERT … VALUES (…), (…) ON CONFLICT … DO UPDATE`` for ``count`` questions: one round trip, the same
    text on PostgreSQL and SQLite, made once per count."""
    if count not in _RECORD_WRONG:
        rows = ", ".join(f"(:member_id, :q{n}, 1, :now)" for n in range(count))
        _RECORD_WRONG[count] = sa.text(
            f"INSERT INTO wrong_answers (member_id, question_id, times_wrong, last_wrong_at) VALUES {rows} "
            "ON CONFLICT (member_id, question_id) DO UPDATE SET times_wrong = wrong_answers.times_wrong + 1, "
            "last_wrong_at = excluded.last_wrong_at, cleared_at = NULL"
        ).bindparams(sa.bindparam("now", type_=_wrong.c.last_wrong_at.type))
    return _RECORD_WRONG[count]


_CLEAR_WRONG = (
    sa.update(_wrong)
    .where(
        _wrong.c.member_id == sa.bindparam("of_member"),
        _wrong.c.question_id.in_(sa.bindparam("question_ids", expanding=True)),
        _wrong.c.cleared_at.is_(None),
    )
    .values(cleared_at=sa.bindparam("now"))
)


@dataclass(frozen=True)
class Outcome:
    attempt_id: int
    score: int
    passed: bool | None
    correct: int
    total: int
    points_awarded: int
    reveal: bool


def is_right(answer: list[int], option_order: list[int], given: list[int] | None) -> bool:
    """The member's displayed choices, mapped back to written indexes, are exactly the key."""
    if not given:
        return False
    return sorted(option_order[shown] for shown in given) == sorted(answer)


def shown_answer(answer: list[int], option_order: list[int]) -> list[int]:
    """The key as positions in the order this member saw the options."""
    return sorted(option_order.index(index) for index in answer)


def speed_bonus(ms_taken: int | None, per_question_s: int) -> int:
    limit = per_question_s * 1000
    if ms_taken is None:
        return 0
    return round(CONTEST_SPEED * max(0, limit - ms_taken) / limit)


def answers_revealed(reveal: Reveal | str | None, status: QuizStatus | str | None, closes_at, now: datetime) -> bool:
    """Whether the member may see the answers and explanations of a submitted attempt now."""
    if reveal is None or Reveal(reveal) is Reveal.AFTER_SUBMIT:
        return True
    return QuizStatus(status) is QuizStatus.CLOSED or (closes_at is not None and closes_at <= now)


def finish(attempt_id: int, closed_by: ClosedBy, now: datetime) -> Outcome | None:
    """Close and score the attempt; None if it was not open (already submitted, or no such attempt)."""
    pg = postgresql_connection()
    if pg is not None:
        claimed = _LOCK_OPEN_PG.run(pg, {"attempt_id": attempt_id}).fetchone()
    else:
        claimed = core_execute(_CLAIM, {"attempt_id": attempt_id, "now": now, "by": closed_by.value}).first()
    return _score(pg, attempt_id, claimed, closed_by, now) if claimed is not None else None


def finish_own(attempt_id: int, member_id: int, now: datetime) -> Outcome | None:
    """The member's 交卷: closed as theirs in time, as the clock's past the deadline (with the answers saved
    in time). None if it is not their open attempt."""
    params = {"attempt_id": attempt_id, "of_member": member_id, "now": now}
    pg = postgresql_connection()
    if pg is not None:
        claimed = _LOCK_OWN_OPEN_PG.run(pg, params).fetchone()
    else:
        claimed = core_execute(_CLAIM_OWN, params).first()
    if claimed is None:
        return None
    by = ClosedBy.MEMBER if claimed.deadline_at >= now else ClosedBy.TIMEOUT
    return _score(pg, attempt_id, claimed, by, now)


def _score(pg, attempt_id: int, claimed, closed_by: ClosedBy, now: datetime) -> Outcome:
    """``pg``: the session's connection on PostgreSQL (:func:`server.db.postgresql_connection`), None on SQLite."""
    member_id, quiz_id, started_at, deadline_at = claimed[:4]
    items = driver_or_core(_PAPER_AND_RULES_PG, {"attempt_id": attempt_id}).fetchall()
    quiz = items[0]  # position 1, with the rules: every paper has it (``taking.start`` refuses an empty draw)
    kind = QuizKind(quiz.kind) if quiz_id is not None else None
    keys = json.loads("[" + ",".join(f"[{i.option_order},{i.given or 'null'},{i.answer}]" for i in items) + "]")
    right = [item for item, (order, given, answer) in zip(items, keys, strict=True) if is_right(answer, order, given)]
    total = len(items)
    elapsed_ms = int((min(now, deadline_at) - started_at).total_seconds() * 1000)
    if kind is QuizKind.CONTEST:
        score = sum(CONTEST_RIGHT + speed_bonus(item.ms_taken, quiz.per_question_s) for item in right)
    else:
        score = round(100 * len(right) / total) if total else 0
    passed = None
    if kind is not None and kind is not QuizKind.CONTEST and quiz.pass_mark is not None:
        passed = score >= quiz.pass_mark
    right_at = {item.position for item in right}
    mask = "".join("1" if position in right_at else "0" for position in range(1, max(right_at, default=0) + 1))
    right_ids = {item.question_id for item in right}
    missed = [item.question_id for item in items if item.question_id not in right_ids]
    cleared = sorted(right_ids) if kind in (None, QuizKind.PRACTICE) else []  # practice answered right
    ledger = _ledger_row(member_id, attempt_id, quiz_id, kind, quiz, len(right), passed, now)
    scored = {"v_correct": len(right), "v_total": total, "v_score": score, "v_passed": passed, "v_elapsed": elapsed_ms}
    if pg is not None:  # closes the attempt too (claimed by its lock only)
        scored["closed_by"] = closed_by.value
        credited = scoring_pg.write(pg, attempt_id, member_id, mask, missed, cleared, ledger, scored, now)
    else:
        connection = db.session.connection()
        connection.execute(_MARK_ITEMS, {"of_attempt": attempt_id, "right": mask})
        _update_wrong_book(member_id, missed, cleared, now)
        credited = points_services.insert_ledger_row(ledger) if ledger is not None else None
        connection.execute(_SCORE, {"attempt_id": attempt_id, "v_points": credited or 0} | scored)
    awarded = points_services.recorded(ledger, credited, quiz.path) if ledger is not None else 0
    reveal = quiz_id is None or answers_revealed(quiz.reveal, quiz.status, quiz.closes_at, now)
    return Outcome(attempt_id, score, passed, len(right), total, awarded, reveal)


def _update_wrong_book(member_id: int, missed: list[int], cleared: list[int], now: datetime) -> None:
    """Every question missed (unanswered too) goes into the book; practice answered right takes it out."""
    if missed:
        params = {"member_id": member_id, "now": now} | {f"q{n}": question_id for n, question_id in enumerate(missed)}
        core_execute(_record_wrong(len(missed)), params)
    if cleared:
        core_execute(_CLEAR_WRONG, {"of_member": member_id, "question_ids": cleared, "now": now})


def _ledger_row(member_id, attempt_id, quiz_id, kind, quiz, right: int, passed, now) -> dict | None:
    """The points due by the quiz's rules, per right answer plus the pass bonus, once per exam and contest:
    the ledger row to insert (the day's cap applied), or None."""
    if kind is None:
        return None  # the wrong-answer book earns none
    points = right * quiz.points_per_correct + (quiz.pass_points if passed else 0)
    source, ref = {
        QuizKind.PRACTICE: (PointsSource.PRACTICE, f"practice:{attempt_id}"),
        QuizKind.EXAM: (PointsSource.EXAM, f"exam:{quiz_id}"),
        QuizKind.CONTEST: (PointsSource.CONTEST, f"contest:{quiz_id}"),
    }[kind]
    return points_services.ledger_row(member_id, source, ref, points, now, note=quiz.title)
