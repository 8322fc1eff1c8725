"""Mini-program quizzes: my quizzes, taking one (start or resume, save each answer, submit), my result,
and my wrong-answer book (错题本) with practice from it."""

from __future__ import annotations

from http import HTTPStatus

from server.auth.current import current_identity, member_required
from server.db import utcnow
from server.http import ApiBlueprint
from server.quizzes import taking
from server.quizzes.schemas import (
    AttemptSchema,
    OutcomeSchema,
    QuizListSchema,
    ResultSchema,
    SaveAnswerSchema,
    SavedSchema,
    WrongBookSchema,
    WrongPracticeSchema,
)
from server.uploads import upload_limit

blp = ApiBlueprint("quizzes_api", __name__, url_prefix="/api", description="学习答题")
BEARER = [{"bearer": []}]
#: an answer is a few numbers: anything bigger is not one
ANSWER_MAX_BYTES = 1024
ANSWER_TOO_LARGE = "提交的答案内容过大"
#: what a body over ANSWER_MAX_BYTES gets, before it is read
TOO_LARGE = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def _attempt(attempt_id: int) -> dict:
    view = taking.paper(taking.own_attempt(attempt_id, current_identity()))
    attempt = view.attempt
    return {
        "attempt_id": attempt.id,
        "quiz_id": attempt.quiz_id,
        "title": view.title,
        "kind": view.kind,
        "number": attempt.number,
        "status": attempt.status.value,
        "started_at": attempt.started_at,
        "deadline_at": attempt.deadline_at,
        "server_now": view.server_now,
        "time_limit_s": view.time_limit_s,
        "per_question_s": view.per_question_s,
        "items": view.items,
    }


@blp.route("/quizzes", methods=["GET"])
@member_required
@blp.response(200, QuizListSchema)
@blp.doc(security=BEARER)
def my_quizzes():
    """Practice, exams and contests for my branch and the organisations above it; under way first."""
    items = []
    for listed in taking.member_quizzes(current_identity()):
        quiz = listed.quiz
        items.append(
            {
                "id": quiz.id,
                "kind": quiz.kind.value,
                "title": quiz.title,
                "description": quiz.description,
                "opens_at": quiz.opens_at,
                "closes_at": quiz.closes_at,
                "time_limit_s": quiz.time_limit_s,
                "per_question_s": quiz.per_question_s,
                "question_count": listed.question_count,
                "attempts_allowed": quiz.attempts_allowed,
                "attempts_left": listed.attempts_left,
                "state": listed.state,
                "best_score": listed.best_score,
                "pass_mark": quiz.pass_mark,
            }
        )
    return {"items": items}


@blp.route("/quizzes/<int:quiz_id>/attempts", methods=["POST"])
@member_required
@blp.response(200, AttemptSchema)
@blp.doc(security=BEARER)
def start_attempt(quiz_id: int):
    """Start the quiz, or resume my open attempt: my own draw of questions, in my own option order, with the
    server's deadline. No answers, no explanations. 409 with the reason when I may not start."""
    identity = current_identity()
    attempt_id = taking.start(taking.visible_quiz(quiz_id, identity), identity)
    return _attempt(attempt_id)


@blp.route("/attempts/<int:attempt_id>", methods=["GET"])
@member_required
@blp.response(200, AttemptSchema)
@blp.doc(security=BEARER)
def get_attempt(attempt_id: int):
    """My attempt as saved on the server: resume after switching apps or losing the network."""
    return _attempt(attempt_id)


@blp.route("/attempts/<int:attempt_id>/items/<int:position>", methods=["PUT"])
@upload_limit(ANSWER_MAX_BYTES, ANSWER_TOO_LARGE)
@member_required
@blp.arguments(SaveAnswerSchema)
@blp.response(200, SavedSchema)
@blp.alt_response(TOO_LARGE, response=TOO_LARGE.name)
@blp.doc(security=BEARER)
def save_answer(payload: dict, attempt_id: int, position: int):
    """Save my answer to one question. Refused (409) after the deadline or once submitted; a position outside
    my paper is 404; ``question_id``, when sent, must be the question at that position."""
    answered_at = taking.save_answer(
        attempt_id,
        current_identity(),
        position,
        payload["given"],
        question_id=payload["question_id"],
        ms_taken=payload["ms_taken"],
    )
    return {"saved": True, "answered_at": answered_at}


def _outcome(outcome) -> dict:
    return {
        "attempt_id": outcome.attempt_id,
        "score": outcome.score,
        "passed": outcome.passed,
        "correct": outcome.correct,
        "total": outcome.total,
        "points_awarded": outcome.points_awarded,
        "reveal": outcome.reveal,
    }


@blp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@member_required
@blp.response(200, OutcomeSchema)
@blp.doc(security=BEARER)
def submit(attempt_id: int):
    """Submit: scored on the server. Past the deadline it closes with the answers saved in time; submitted
    already, the score it has."""
    return _outcome(taking.submit(attempt_id, current_identity()))


@blp.route("/attempts/<int:attempt_id>/result", methods=["GET"])
@member_required
@blp.response(200, ResultSchema)
@blp.doc(security=BEARER)
def attempt_result(attempt_id: int):
    """My score; each question with the answer and explanation once the quiz's reveal rule allows (else
    ``items`` is empty). 409 while the attempt is still open."""
    result = taking.result(attempt_id, current_identity())
    attempt = result.attempt
    return _outcome(result.outcome) | {
        "quiz_id": attempt.quiz_id,
        "title": result.title,
        "kind": attempt.quiz.kind.value if attempt.quiz else "practice",
        "number": attempt.number,
        "submitted_at": attempt.submitted_at,
        "closed_by": attempt.closed_by.value if attempt.closed_by else "member",
        "items": result.items,
    }


@blp.route("/me/wrong-answers", methods=["GET"])
@member_required
@blp.response(200, WrongBookSchema)
@blp.doc(security=BEARER)
def my_wrong_answers():
    """My 错题本: questions I missed and have not yet got right in practice, most recent first."""
    rows = taking.wrong_answers(current_identity(), utcnow())
    return {
        "total": len(rows),
        "items": [
            {
                "question_id": question.id,
                "kind": question.kind.value,
                "stem": question.stem,
                "options": taking.shown_options(question.kind, question.options, list(range(len(question.options)))),
                "times_wrong": wrong.times_wrong,
                "last_wrong_at": wrong.last_wrong_at,
            }
            for wrong, question in rows
        ],
    }


@blp.route("/me/wrong-answers/practice", methods=["POST"])
@upload_limit(ANSWER_MAX_BYTES, ANSWER_TOO_LARGE)
@member_required
@blp.arguments(WrongPracticeSchema)
@blp.response(200, AttemptSchema)
@blp.alt_response(TOO_LARGE, response=TOO_LARGE.name)
@blp.doc(security=BEARER)
def practise_wrong_answers(payload: dict):
    """A practice round from my 错题本 (my open one, resumed); a question answered right leaves the book."""
    return _attempt(taking.practise_wrong_answers(current_identity(), payload["count"]))
