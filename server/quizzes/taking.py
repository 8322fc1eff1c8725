"""Taking a quiz: the member's list, starting (or resuming) an attempt, saving one answer, submitting, the
result, and practice from the wrong-answer book.

The server keeps the clock. An attempt's deadline is fixed when it starts; an answer is accepted only while
the attempt is open and its deadline has not passed, checked by the UPDATE that saves it. Everything a
member is sent before submitting is read from named columns (stem, options, their order), never the answer
key or the explanation. Every refusal is an :class:`AppError` with a Chinese message, raised before
anything is written (the request then rolls back whatever it had begun).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.auth.member_services import MemberIdentity
from server.db import DriverStatement, core_execute, db, driver_or_core, utcnow
from server.errors import AppError, NotFound
from server.orgs.models import Organisation
from server.points.leaderboard import path_ids
from server.points.services import lock_member
from server.quizzes import draw, scoring
from server.quizzes.models import (
    TRUE_FALSE_CHOICES,
    Attempt,
    AttemptItem,
    AttemptStatus,
    ClosedBy,
    Question,
    QuestionKind,
    Quiz,
    QuizKind,
    QuizStatus,
    Reveal,
    WrongAnswer,
    quiz_banks,
)
from server.timezone import to_local

QUIZ_MISSING = "测验不存在"
ATTEMPT_MISSING = "答卷不存在"
#: an untimed practice (or a round from the wrong-answer book) is still closed by the job after this
UNTIMED_LIMIT = timedelta(hours=24)
#: quizzes a member sees: the open ones and those that closed within this
LIST_CLOSED_WITHIN = timedelta(days=90)
WRONG_BOOK_DEFAULT = 10

_attempts, _items, _questions, _quizzes = (
    Attempt.__table__,
    AttemptItem.__table__,
    Question.__table__,
    Quiz.__table__,
)


# --- which quizzes a member may see ---------------------------------------------------------------------


def member_path(identity: MemberIdentity) -> str:
    return db.session.scalar(sa.select(Organisation.path).where(Organisation.id == identity.org_id)) or "/"


def visible_quiz(quiz_id: int, identity: MemberIdentity) -> Quiz:
    """A published or closed quiz whose audience includes the member's branch; any other is "missing"."""
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or quiz.status is QuizStatus.DRAFT or quiz.org_id not in path_ids(member_path(identity)):
        raise NotFound(QUIZ_MISSING)
    return quiz


def is_closed(quiz: Quiz, now: datetime) -> bool:
    return quiz.status is QuizStatus.CLOSED or (quiz.closes_at is not None and quiz.closes_at <= now)


@dataclass
class ListedQuiz:
    quiz: Quiz
    question_count: int
    attempts_used: int
    attempts_left: int | None
    state: str
    best_score: int | None


def member_quizzes(identity: MemberIdentity, now: datetime | None = None) -> list[ListedQuiz]:
    """The member's quizzes, those under way first, then by opening time (newest first)."""
    now = now or utcnow()
    quizzes = db.session.scalars(
        sa.select(Quiz)
        .where(
            Quiz.org_id.in_(path_ids(member_path(identity))),
            Quiz.status != QuizStatus.DRAFT,
            sa.or_(Quiz.closes_at.is_(None), Quiz.closes_at > now - LIST_CLOSED_WITHIN),
        )
        .order_by(Quiz.opens_at.desc(), Quiz.id.desc())
        .limit(100)
    ).all()
    ids = [quiz.id for quiz in quizzes]
    mine = _my_attempts(identity.id, ids, now)
    counts = _question_counts(ids)
    listed = []
    for quiz in quizzes:
        used, best, open_now = mine.get(quiz.id, (0, None, False))
        left = None if quiz.attempts_allowed is None else max(quiz.attempts_allowed - used, 0)
        count = min(quiz.draw_count, counts.get(quiz.id, 0))
        listed.append(ListedQuiz(quiz, count, used, left, _state(quiz, now, left, open_now), best))
    order = {"in_progress": 0, "open": 1, "upcoming": 2, "done": 3, "closed": 4}
    return sorted(listed, key=lambda item: order[item.state])


def _state(quiz: Quiz, now: datetime, left: int | None, open_now: bool) -> str:
    if open_now:
        return "in_progress"
    if left == 0:
        return "done"
    if is_closed(quiz, now):
        return "closed"
    if now < quiz.opens_at:
        return "upcoming"
    return "open"


def _my_attempts(member_id: int, quiz_ids: list[int], now: datetime) -> dict[int, tuple[int, int | None, bool]]:
    """quiz -> (attempts made, best score, an attempt open right now)."""
    if not quiz_ids:
        return {}
    submitted = Attempt.status == AttemptStatus.SUBMITTED
    open_now = sa.and_(Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.deadline_at > now)
    rows = db.session.execute(
        sa.select(
            Attempt.quiz_id,
            sa.func.count(),
            sa.func.max(sa.case((submitted, Attempt.score))),
            sa.func.max(sa.case((open_now, 1), else_=0)),
        )
        .where(Attempt.member_id == member_id, Attempt.quiz_id.in_(quiz_ids))
        .group_by(Attempt.quiz_id)
    )
    return {quiz_id: (used, best, bool(is_open)) for quiz_id, used, best, is_open in rows}


def _question_counts(quiz_ids: list[int]) -> dict[int, int]:
    """quiz -> active questions in its banks."""
    if not quiz_ids:
        return {}
    rows = db.session.execute(
        sa.select(quiz_banks.c.quiz_id, sa.func.count(Question.id))
        .join(Question, Question.bank_id == quiz_banks.c.bank_id)
        .where(quiz_banks.c.quiz_id.in_(quiz_ids), Question.active.is_(True))
        .group_by(quiz_banks.c.quiz_id)
    )
    return dict(rows.tuples().all())


# --- starting ------------------------------------------------------------------------------------------


def start(quiz: Quiz, identity: MemberIdentity, now: datetime | None = None) -> int:
    """The member's open attempt at ``quiz`` (resumed), or a new one; returns its id.

    Starts of one member are serialised (their row is locked), so two taps make one attempt.
    """
    now = now or utcnow()
    lock_member(identity.id)
    current = db.session.scalar(
        sa.select(Attempt).where(
            Attempt.quiz_id == quiz.id, Attempt.member_id == identity.id, Attempt.status == AttemptStatus.IN_PROGRESS
        )
    )
    if current is not None:
        if current.deadline_at > now:
            return current.id
        scoring.finish(current.id, ClosedBy.TIMEOUT, now)
        db.session.expire(current)
    _check_window(quiz, now)
    used = db.session.scalar(
        sa.select(sa.func.count()).where(Attempt.quiz_id == quiz.id, Attempt.member_id == identity.id)
    )
    if quiz.attempts_allowed is not None and used >= quiz.attempts_allowed:
        if quiz.attempts_allowed == 1:
            raise AppError("attempts_exhausted", f"您已参加过“{quiz.title}”，每人只能作答 1 次", status=409)
        raise AppError("attempts_exhausted", f"您已作答 {used} 次，用完了全部作答机会", status=409)
    candidates = _candidates(sa.select(quiz_banks.c.bank_id).where(quiz_banks.c.quiz_id == quiz.id), active_only=True)
    if not candidates:
        raise AppError("no_questions", "本测验暂无可用题目，请联系支部书记", status=409)
    return _new_attempt(identity, quiz, used + 1, candidates, quiz.draw_count, now)


def _check_window(quiz: Quiz, now: datetime) -> None:
    if now < quiz.opens_at:
        raise AppError("quiz_not_open", f"尚未开始，开始时间：{to_local(quiz.opens_at):%Y-%m-%d %H:%M}", status=409)
    if is_closed(quiz, now):
        raise AppError("quiz_closed", "已结束，不能再作答", status=409)


def _candidates(bank_ids: sa.Select | None, *, active_only: bool, question_ids=None) -> list[draw.Candidate]:
    query = sa.select(Question.id, Question.kind, Question.options)
    if bank_ids is not None:
        query = query.where(Question.bank_id.in_(bank_ids))
    if question_ids is not None:
        query = query.where(Question.id.in_(question_ids))
    if active_only:
        query = query.where(Question.active.is_(True))
    return [draw.Candidate(qid, kind, len(options or [])) for qid, kind, options in db.session.execute(query)]


def deadline_for(quiz: Quiz | None, count: int, now: datetime) -> datetime:
    """When an attempt starting now must end: its time limit, never past the quiz's close."""
    if quiz is None or (quiz.kind is not QuizKind.CONTEST and quiz.time_limit_s is None):
        limit = UNTIMED_LIMIT
    elif quiz.kind is QuizKind.CONTEST:
        limit = timedelta(seconds=count * (quiz.per_question_s or 0))
    else:
        limit = timedelta(seconds=quiz.time_limit_s or 0)
    deadline = now + limit
    if quiz is not None and quiz.closes_at is not None:
        deadline = min(deadline, quiz.closes_at)
    return deadline


def _new_attempt(
    identity: MemberIdentity, quiz: Quiz | None, number: int, candidates: list[draw.Candidate], count: int, now
) -> int:
    seed = draw.new_seed()
    items = draw.paper(seed, candidates, count, quiz.shuffle_options if quiz else True)
    attempt = Attempt(
        quiz_id=quiz.id if quiz else None,
        member_id=identity.id,
        org_id=identity.org_id,
        number=number,
        seed=seed,
        started_at=now,
        deadline_at=deadline_for(quiz, len(items), now),
        total=len(items),
    )
    db.session.add(attempt)
    db.session.flush()
    rows = [
        {"attempt_id": attempt.id, "position": i.position, "question_id": i.question_id, "option_order": i.option_order}
        for i in items
    ]
    core_execute(sa.insert(_items), rows)
    return attempt.id


# --- the paper, as the member sees it ----------------------------------------------------------------------


@dataclass
class PaperView:
    attempt: Attempt
    title: str
    kind: str
    time_limit_s: int | None
    per_question_s: int | None
    server_now: datetime
    items: list[dict] = field(default_factory=list)


_PAPER = (
    # Named columns only: the answer key and the explanation are not even read.
    sa.select(
        _items.c.position,
        _items.c.question_id,
        _items.c.option_order,
        _items.c.given,
        _items.c.answered_at,
        _questions.c.kind,
        _questions.c.stem,
        _questions.c.options,
    )
    .join(_questions, _questions.c.id == _items.c.question_id)
    .where(_items.c.attempt_id == sa.bindparam("attempt_id"))
    .order_by(_items.c.position)
)


def own_attempt(attempt_id: int, identity: MemberIdentity) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.member_id != identity.id:
        raise NotFound(ATTEMPT_MISSING)
    return attempt


def shown_options(kind: QuestionKind | str, options: list[str], order: list[int]) -> list[str]:
    """The options in this member's order; none for true/false (the phone shows 正确 / 错误)."""
    if QuestionKind(kind) is QuestionKind.TRUE_FALSE:
        return []
    return [options[index] for index in order]


def contest_windows(started_at: datetime, per_question_s: int, answered: list[datetime | None]):
    """(opens, closes) of each question of a contest: one after another, each ``per_question_s`` long.

    A question opens when the one before it was answered, or when its time ran out.
    """
    limit = timedelta(seconds=per_question_s)
    windows, opens = [], started_at
    for answered_at in answered:
        closes = opens + limit
        windows.append((opens, closes))
        opens = answered_at if answered_at is not None and answered_at <= closes else closes
    return windows


def paper(attempt: Attempt, now: datetime | None = None) -> PaperView:
    now = now or utcnow()
    quiz = attempt.quiz
    rows = core_execute(_PAPER, {"attempt_id": attempt.id}).all()
    windows = []
    if quiz is not None and quiz.kind is QuizKind.CONTEST:
        windows = contest_windows(attempt.started_at, quiz.per_question_s, [row.answered_at for row in rows])
    items = [
        {
            "position": row.position,
            "question_id": row.question_id,
            "kind": QuestionKind(row.kind).value,
            "stem": row.stem,
            "options": shown_options(row.kind, row.options, row.option_order),
            "given": row.given,
            "deadline_at": windows[index][1] if windows else None,
        }
        for index, row in enumerate(rows)
    ]
    return PaperView(
        attempt=attempt,
        title=quiz.title if quiz else scoring.WRONG_BOOK_TITLE,
        kind=(quiz.kind if quiz else QuizKind.PRACTICE).value,
        time_limit_s=quiz.time_limit_s if quiz else None,
        per_question_s=quiz.per_question_s if quiz else None,
        server_now=now,
        items=items,
    )


# --- saving one answer -----------------------------------------------------------------------------------

_DECIDE_SAVE = (
    sa.select(
        _attempts.c.member_id,
        _attempts.c.status,
        _attempts.c.started_at,
        _attempts.c.deadline_at,
        _quizzes.c.kind.label("quiz_kind"),
        _quizzes.c.per_question_s,
        _items.c.question_id,
        _items.c.answered_at,
        _questions.c.kind.label("question_kind"),
        _questions.c.options,
    )
    .select_from(_attempts)
    .outerjoin(_quizzes, _quizzes.c.id == _attempts.c.quiz_id)
    .outerjoin(_items, sa.and_(_items.c.attempt_id == _attempts.c.id, _items.c.position == sa.bindparam("position")))
    .outerjoin(_questions, _questions.c.id == _items.c.question_id)
    .where(_attempts.c.id == sa.bindparam("attempt_id"))
    # Waits for a submission under way (its claim locks the row), and makes one wait for this save.
    .with_for_update(read=True, of=_attempts)
)
_ANSWERED_BEFORE = (
    sa.select(_items.c.answered_at)
    .where(_items.c.attempt_id == sa.bindparam("attempt_id"), _items.c.position < sa.bindparam("position"))
    .order_by(_items.c.position)
)
_still_open = (
    sa.select(_attempts.c.id)
    .where(
        _attempts.c.id == sa.bindparam("of_attempt"),
        _attempts.c.status == AttemptStatus.IN_PROGRESS.value,
        _attempts.c.deadline_at >= sa.bindparam("now"),
    )
    .exists()
)
_SAVE = (
    sa.update(_items)
    .where(
        _items.c.attempt_id == sa.bindparam("of_attempt"), _items.c.position == sa.bindparam("at_position"), _still_open
    )
    .values(given=sa.bindparam("v_given"), answered_at=sa.bindparam("now"), ms_taken=sa.bindparam("v_ms"))
)
_SAVE_ONCE = _SAVE.where(_items.c.answered_at.is_(None))
# An exam's answers are saved twenty times as often as it is submitted: the driver's path on PostgreSQL.
_DECIDE_SAVE_PG, _SAVE_PG, _SAVE_ONCE_PG = map(DriverStatement, (_DECIDE_SAVE, _SAVE, _SAVE_ONCE))

TIME_UP = "已超过作答时间，本题答案未保存"
SUBMITTED = "已交卷，不能再修改答案"


def save_answer(
    attempt_id: int,
    identity: MemberIdentity,
    position: int,
    given: list[int],
    *,
    question_id: int | None = None,
    ms_taken: int | None = None,
    now: datetime | None = None,
) -> datetime:
    """Save the member's answer to one question of their paper; returns when it was saved."""
    now = now or utcnow()
    row = driver_or_core(_DECIDE_SAVE_PG, {"attempt_id": attempt_id, "position": position}).fetchone()
    if row is None or row.member_id != identity.id:
        raise NotFound(ATTEMPT_MISSING)
    if row.status != AttemptStatus.IN_PROGRESS.value:
        raise AppError("attempt_submitted", SUBMITTED, status=409)
    if now > row.deadline_at:
        raise AppError("attempt_time_up", TIME_UP, status=409)
    if row.question_id is None:
        raise AppError("item_not_in_draw", "该题不在您的试卷中", status=404)
    if question_id is not None and question_id != row.question_id:
        raise AppError("question_mismatch", "题目与试卷不符，请刷新后重试", status=409)
    chosen = check_given(QuestionKind(row.question_kind), len(row.options or []), given)
    contest = row.quiz_kind == QuizKind.CONTEST.value
    if contest:
        ms_taken = _contest_timing(attempt_id, row, position, chosen, now)
    params = {"of_attempt": attempt_id, "at_position": position, "v_given": chosen, "now": now, "v_ms": ms_taken}
    if driver_or_core(_SAVE_ONCE_PG if contest else _SAVE_PG, params).rowcount != 1:
        # Submitted or timed out between the decision and the write (SQLite decides outside the lock).
        raise AppError("attempt_time_up", TIME_UP, status=409)
    return now


def check_given(kind: QuestionKind, option_count: int, given: list[int]) -> list[int] | None:
    """The choice as stored (sorted displayed positions, None to clear), or a refusal saying what is wrong."""
    count = len(TRUE_FALSE_CHOICES) if kind is QuestionKind.TRUE_FALSE else option_count
    if any(index < 0 or index >= count for index in given):
        raise AppError("option_out_of_range", "所选选项不存在，请刷新后重试")
    if len(set(given)) != len(given):
        raise AppError("option_repeated", "同一选项不能重复选择")
    if kind is QuestionKind.SINGLE and len(given) > 1:
        raise AppError("single_choice", "单选题只能选择一个答案")
    if kind is QuestionKind.TRUE_FALSE and len(given) > 1:
        raise AppError("single_choice", "判断题只能选择“正确”或“错误”")
    return sorted(given) or None


def _contest_timing(attempt_id: int, row, position: int, chosen, now: datetime) -> int:
    """A contest's question is answered once, in its own window; returns the milliseconds it took."""
    if chosen is None:
        raise AppError("answer_required", "竞答请选择答案后提交")
    if row.answered_at is not None:
        raise AppError("already_answered", "本题已作答，竞答不能修改答案", status=409)
    before = list(core_execute(_ANSWERED_BEFORE, {"attempt_id": attempt_id, "position": position}).scalars())
    opens, closes = contest_windows(row.started_at, row.per_question_s, [*before, None])[-1]
    if now < opens:
        raise AppError("previous_open", "请先作答上一题", status=409)
    if now > closes:
        raise AppError("question_time_up", "本题作答时间已到，答案未保存", status=409)
    return int((now - opens).total_seconds() * 1000)


# --- submitting and the result -------------------------------------------------------------------------


def submit(attempt_id: int, identity: MemberIdentity, now: datetime | None = None) -> scoring.Outcome:
    """Close and score the member's attempt. Past its deadline it is closed as timed out, with the answers
    saved in time; submitted already, the score it has."""
    now = now or utcnow()
    outcome = scoring.finish_own(attempt_id, identity.id, now)
    if outcome is not None:
        return outcome
    return outcome_of(own_attempt(attempt_id, identity), now)  # not theirs (404), or submitted already


def outcome_of(attempt: Attempt, now: datetime) -> scoring.Outcome:
    quiz = attempt.quiz
    reveal = quiz is None or scoring.answers_revealed(quiz.reveal, quiz.status, quiz.closes_at, now)
    return scoring.Outcome(
        attempt.id,
        attempt.score or 0,
        attempt.passed,
        attempt.correct_count or 0,
        attempt.total,
        attempt.points_awarded,
        reveal,
    )


@dataclass
class Result:
    outcome: scoring.Outcome
    attempt: Attempt
    title: str
    items: list[dict]


def result(attempt_id: int, identity: MemberIdentity, now: datetime | None = None) -> Result:
    """A submitted attempt's score; with each question's answer and explanation when the quiz allows."""
    now = now or utcnow()
    attempt = own_attempt(attempt_id, identity)
    if attempt.status is AttemptStatus.IN_PROGRESS:
        if now <= attempt.deadline_at:
            raise AppError("attempt_open", "尚未交卷，交卷后可查看成绩", status=409)
        scoring.finish(attempt.id, ClosedBy.TIMEOUT, now)  # the clock closed it; the job had not yet
        db.session.expire(attempt)
    outcome = outcome_of(attempt, now)
    items = _revealed_items(attempt.id) if outcome.reveal else []
    return Result(outcome, attempt, attempt.quiz.title if attempt.quiz else scoring.WRONG_BOOK_TITLE, items)


def _revealed_items(attempt_id: int) -> list[dict]:
    rows = db.session.execute(
        sa.select(AttemptItem, Question)
        .join(Question, Question.id == AttemptItem.question_id)
        .where(AttemptItem.attempt_id == attempt_id)
        .order_by(AttemptItem.position)
    ).all()
    return [
        {
            "position": item.position,
            "question_id": question.id,
            "kind": question.kind.value,
            "stem": question.stem,
            "options": shown_options(question.kind, question.options, item.option_order),
            "given": item.given,
            "answer": scoring.shown_answer(question.answer, item.option_order),
            "correct": bool(item.correct),
            "explanation": question.explanation,
        }
        for item, question in rows
    ]


# --- the wrong-answer book -------------------------------------------------------------------------------


def withheld_banks(now: datetime) -> sa.Select:
    """Banks of exams still running whose answers are shown only after they close: their questions stay
    out of the book's practice (which shows answers on submission) until then."""
    return (
        sa.select(quiz_banks.c.bank_id)
        .join(Quiz, Quiz.id == quiz_banks.c.quiz_id)
        .where(
            Quiz.reveal == Reveal.AFTER_CLOSE,
            Quiz.status == QuizStatus.PUBLISHED,
            sa.or_(Quiz.closes_at.is_(None), Quiz.closes_at > now),
        )
    )


def wrong_answers(identity: MemberIdentity, now: datetime | None = None, limit: int = 200):
    """The member's book: questions still to get right, most recently missed first (no answers shown)."""
    now = now or utcnow()
    return db.session.execute(
        sa.select(WrongAnswer, Question)
        .join(Question, Question.id == WrongAnswer.question_id)
        .where(
            WrongAnswer.member_id == identity.id,
            WrongAnswer.cleared_at.is_(None),
            Question.bank_id.not_in(withheld_banks(now)),
        )
        .order_by(WrongAnswer.last_wrong_at.desc(), WrongAnswer.id.desc())
        .limit(limit)
    ).all()


def practise_wrong_answers(identity: MemberIdentity, count: int = WRONG_BOOK_DEFAULT, now=None) -> int:
    """A practice round drawn from the member's book (their open one, resumed); returns the attempt id."""
    now = now or utcnow()
    lock_member(identity.id)
    current = db.session.scalar(
        sa.select(Attempt.id).where(
            Attempt.quiz_id.is_(None),
            Attempt.member_id == identity.id,
            Attempt.status == AttemptStatus.IN_PROGRESS,
            Attempt.deadline_at > now,
        )
    )
    if current is not None:
        return current
    book = [question.id for _, question in wrong_answers(identity, now)]
    if not book:
        raise AppError("wrong_book_empty", "错题本里没有需要练习的题目", status=409)
    used = db.session.scalar(
        sa.select(sa.func.count()).where(Attempt.quiz_id.is_(None), Attempt.member_id == identity.id)
    )
    return _new_attempt(identity, None, used + 1, _candidates(None, active_only=False, question_ids=book), count, now)
