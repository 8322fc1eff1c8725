"""The 学习答题 pages end to end on the embedded default: the mini-program's own client and page logic (run by jest
in node, miniprogram/tests/quiz-pages.contract.test.js) against this live server and the emulator's phone. A member
binds, taps 开启提醒 on the quiz list, starts the branch's exam, loses the signal half-way (the phone keeps the
answers), WeChat closes the page, they come back, resume, hand it in with one question left and see the score,
their points and their place on the board; then they practise what they missed from the wrong-answer book.

tests/quizzes/test_quiz_end_to_end.py drives miniprogram/tests/quiz.contract.test.js (the secretary's Excel import
and the exam through the admin); this one the pages' contract."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from server.db import db
from server.points import leaderboard
from server.points.leaderboard import Period
from server.points.models import PointsEntry
from server.quizzes.models import Attempt, AttemptItem, AttemptStatus, ClosedBy, WrongAnswer
from tests.jest_contract import run_phase
from tests.quizzes.factories import make_bank, make_quiz

SPEC = "miniprogram/tests/quiz-pages.contract.test.js"
TEMPLATE = "tmpl_quiz_open"
FIELDS = {"thing1": "quiz_title", "time2": "closes_at"}
QUESTIONS = 10


@pytest.fixture
def quiz_template(app, emulator, monkeypatch) -> str:
    """The tests' deployment has only the meeting template: the quiz's too, in the emulator and the mp_config."""
    monkeypatch.setitem(emulator.state.templates, TEMPLATE, list(FIELDS))
    tpl = {"template_id": TEMPLATE, "page": "pages/quizzes/index", "fields": FIELDS, "fields_": FIELDS}
    monkeypatch.setitem(app.extensions["mp_config"]["subscribe_templates"], "quiz_open", tpl)
    return TEMPLATE


def _jest(phase: str, env: dict[str, str]) -> str:
    return run_phase(SPEC, phase, env)


def test_a_member_takes_the_exam_on_a_bad_network_and_practises_what_they_missed(
    live_server, emulator, tree, make_member, quiz_template
):
    member = make_member(tree["a1"], "郑答题", phone="13700000301")
    make_member(tree["a1"], "王未答")
    # Options in their written order: the phone answers each question with its first option, which is right for
    # the true/false questions only (3 of 10), so the member earns points and has questions to practise.
    exam = make_quiz(
        tree["a1"],
        [make_bank(tree["a1"], questions=QUESTIONS)],
        title="支部党章测试",
        draw_count=QUESTIONS,
        time_limit_s=1200,
        shuffle_options=False,
    )
    db.session.commit()
    world = {
        "member": {"user": f"wx-quiz-pages-{uuid.uuid4().hex[:8]}", "phone": member.phone, "name": member.name},
        "exam": {"id": exam.id, "title": exam.title, "question_count": QUESTIONS},
    }
    env = {
        "CONTRACT_SERVER": live_server,
        "CONTRACT_EMULATOR": emulator.base_url,
        "CONTRACT_TEMPLATES": json.dumps({"quiz_open": quiz_template}),
        "CONTRACT_QUIZ": json.dumps(world, ensure_ascii=False),
    }
    assert "1 passed" in _jest("the document", env)
    assert "1 passed" in _jest("the exam", env)
    assert emulator.state.quota(emulator.openid(world["member"]["user"]), quiz_template) == 1  # 开启提醒 reached WeChat

    attempt = db.session.scalars(sa.select(Attempt).where(Attempt.quiz_id == exam.id)).one()
    assert (attempt.member_id, attempt.status, attempt.closed_by) == (
        member.id,
        AttemptStatus.SUBMITTED,
        ClosedBy.MEMBER,
    )
    items = db.session.scalars(
        sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt.id).order_by(AttemptItem.position)
    ).all()
    # every answer saved, those given without signal included, and only the last question left blank
    assert [item.given is not None for item in items] == [True] * (QUESTIONS - 1) + [False]
    assert attempt.points_awarded > 0
    ledger = db.session.scalars(sa.select(PointsEntry).where(PointsEntry.member_id == member.id)).all()
    assert [(entry.ref, entry.points) for entry in ledger] == [(f"exam:{exam.id}", attempt.points_awarded)]
    board = leaderboard.top(tree["a1"], Period.ALL)
    assert [(s.rank, s.name, s.points) for s in board] == [(1, "郑答题", attempt.points_awarded)]
    missed = db.session.scalar(
        sa.select(sa.func.count()).select_from(WrongAnswer).where(WrongAnswer.member_id == member.id)
    )
    assert missed == QUESTIONS - attempt.correct_count

    assert "1 passed" in _jest("the wrong-answer book", env)
    db.session.expire_all()
    # a round of practice from the book is an attempt of no quiz
    practice = db.session.scalars(
        sa.select(Attempt).where(Attempt.member_id == member.id, Attempt.quiz_id.is_(None))
    ).one()
    drawn = db.session.scalar(
        sa.select(sa.func.count()).select_from(AttemptItem).where(AttemptItem.attempt_id == practice.id)
    )
    assert (practice.status, drawn) == (AttemptStatus.SUBMITTED, missed)  # every question missed
