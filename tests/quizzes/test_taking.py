"""Taking a quiz through the member API, as the mini-program does: the list, a paper of one's own, answers
saved as one goes, resuming after losing the connection, submitting, the score and the points."""

from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from server.db import db, utcnow
from server.points.models import PointsEntry
from server.quizzes import scoring, taking
from server.quizzes.models import (
    Attempt,
    AttemptItem,
    AttemptStatus,
    ClosedBy,
    Question,
    QuizKind,
    QuizStatus,
    Reveal,
)
from tests.conftest import USING_POSTGRES
from tests.quizzes.factories import make_bank, make_quiz, right_answer, wrong_answer


@pytest.fixture
def exam_world(tree, make_member, member_phone):
    bank = make_bank(tree["committee"], questions=12)
    exam = make_quiz(tree["committee"], [bank], QuizKind.EXAM, draw_count=8)
    zhang = make_member(tree["a1"], "张三")
    li = make_member(tree["b1"], "李四")
    db.session.commit()
    return {"bank": bank, "exam": exam, "zhang": member_phone(zhang), "li": member_phone(li)}


def questions_of(paper: dict) -> dict[int, Question]:
    ids = [item["question_id"] for item in paper["items"]]
    return {q.id: q for q in db.session.scalars(sa.select(Question).where(Question.id.in_(ids)))}


def answer_all(phone, paper: dict, right: int) -> None:
    """Answer the first ``right`` questions right and the rest wrong."""
    questions = questions_of(paper)
    for index, item in enumerate(paper["items"]):
        question = questions[item["question_id"]]
        given = right_answer(item, question) if index < right else wrong_answer(item, question)
        response = phone.put(f"/api/attempts/{paper['attempt_id']}/items/{item['position']}", json={"given": given})
        assert response.status_code == 200, response.get_json()


def test_a_member_takes_an_exam_loses_the_connection_resumes_and_sees_the_score(exam_world):
    phone, exam = exam_world["zhang"], exam_world["exam"]
    listed = phone.get("/api/quizzes").get_json()["items"]
    assert [(q["id"], q["state"], q["attempts_left"], q["question_count"]) for q in listed] == [(exam.id, "open", 1, 8)]

    paper = phone.post(f"/api/quizzes/{exam.id}/attempts").get_json()
    assert len(paper["items"]) == 8 and all(item["given"] is None for item in paper["items"])
    assert paper["deadline_at"] > paper["server_now"]
    questions = questions_of(paper)
    first_half = paper["items"][:4]
    for item in first_half:
        given = right_answer(item, questions[item["question_id"]])
        assert (
            phone.put(
                f"/api/attempts/{paper['attempt_id']}/items/{item['position']}", json={"given": given}
            ).status_code
            == 200
        )

    # The phone lost its network and the app was switched away: it reads its attempt again.
    resumed = phone.get(f"/api/attempts/{paper['attempt_id']}").get_json()
    assert [item["question_id"] for item in resumed["items"]] == [item["question_id"] for item in paper["items"]]
    assert [item["options"] for item in resumed["items"]] == [item["options"] for item in paper["items"]]
    assert all(item["given"] is not None for item in resumed["items"][:4])
    assert all(item["given"] is None for item in resumed["items"][4:])
    # Starting again resumes the same attempt instead of making a second.
    assert phone.post(f"/api/quizzes/{exam.id}/attempts").get_json()["attempt_id"] == paper["attempt_id"]
    assert phone.get("/api/quizzes").get_json()["items"][0]["state"] == "in_progress"

    for item in resumed["items"][4:]:
        given = wrong_answer(item, questions[item["question_id"]])
        phone.put(f"/api/attempts/{paper['attempt_id']}/items/{item['position']}", json={"given": given})
    outcome = phone.post(f"/api/attempts/{paper['attempt_id']}/submit").get_json()
    assert outcome == {
        "attempt_id": paper["attempt_id"],
        "score": 50,
        "passed": False,
        "correct": 4,
        "total": 8,
        "points_awarded": 4,  # 1 a right answer, no pass bonus
        "reveal": True,
    }
    result = phone.get(f"/api/attempts/{paper['attempt_id']}/result").get_json()
    assert result["closed_by"] == "member" and [item["correct"] for item in result["items"]] == [True] * 4 + [False] * 4
    for item in result["items"]:
        question = questions[item["question_id"]]
        assert item["answer"] == right_answer(item, question) and item["explanation"] == question.explanation
    listed = phone.get("/api/quizzes").get_json()["items"][0]
    assert (listed["state"], listed["attempts_left"], listed["best_score"]) == ("done", 0, 50)
    points = phone.get("/api/me/points").get_json()
    assert (points["total"], points["by_source"]["exam"]) == (4, 4)
    board = phone.get("/api/leaderboard?scope=committee").get_json()
    assert board["items"] == [{"rank": 1, "name": "张三", "org_name": "甲一支部", "points": 4, "is_me": True}]
    assert board["me"] == {"rank": 1, "points": 4}


def test_each_member_gets_their_own_draw_and_option_order(tree, make_member, member_phone):
    bank = make_bank(tree["committee"], questions=30)
    exam = make_quiz(tree["committee"], [bank], QuizKind.EXAM, draw_count=10, shuffle_options=True)
    phones = [member_phone(make_member(tree["a1"], f"党员{n}")) for n in range(4)]
    papers = [phone.post(f"/api/quizzes/{exam.id}/attempts").get_json() for phone in phones]
    draws = {tuple(item["question_id"] for item in paper["items"]) for paper in papers}
    orders = {tuple(tuple(item["options"]) for item in paper["items"]) for paper in papers}
    assert len(draws) == 4 and len(orders) == 4
    # Reproducible: the attempt's seed makes the same paper again.
    from server.quizzes import draw

    attempt = db.session.get(Attempt, papers[0]["attempt_id"])
    candidates = [draw.Candidate(q.id, q.kind, len(q.options)) for q in db.session.scalars(sa.select(Question))]
    again = draw.paper(attempt.seed, candidates, 10, True)
    assert [i.question_id for i in again] == [item["question_id"] for item in papers[0]["items"]]


def _items(attempt_id: int) -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        sa.select(AttemptItem.position, AttemptItem.given, AttemptItem.answered_at)
        .where(AttemptItem.attempt_id == attempt_id)
        .order_by(AttemptItem.position)
    ).all()


def test_an_answer_after_the_time_limit_is_refused_and_not_recorded(exam_world):
    phone, exam = exam_world["zhang"], exam_world["exam"]
    paper = phone.post(f"/api/quizzes/{exam.id}/attempts").get_json()
    attempt = db.session.get(Attempt, paper["attempt_id"])
    attempt.started_at -= timedelta(minutes=31)
    attempt.deadline_at = utcnow() - timedelta(seconds=1)  # the 30 minutes ran out a second ago
    db.session.commit()
    before = _items(paper["attempt_id"])
    response = phone.put(f"/api/attempts/{paper['attempt_id']}/items/1", json={"given": [0]})
    assert response.status_code == 409
    assert response.get_json()["error"] == {"code": "attempt_time_up", "message": "已超过作答时间，本题答案未保存"}
    assert _items(paper["attempt_id"]) == before


def test_a_second_attempt_is_refused_and_nothing_recorded(exam_world):
    phone, exam = exam_world["zhang"], exam_world["exam"]
    paper = phone.post(f"/api/quizzes/{exam.id}/attempts").get_json()
    phone.post(f"/api/attempts/{paper['attempt_id']}/submit")
    response = phone.post(f"/api/quizzes/{exam.id}/attempts")
    assert response.status_code == 409
    assert response.get_json()["error"] == {
        "code": "attempts_exhausted",
        "message": "您已参加过“党章知识考试”，每人只能作答 1 次",
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1
    # and a submitted paper takes no more answers
    response = phone.put(f"/api/attempts/{paper['attempt_id']}/items/1", json={"given": [0]})
    assert (response.status_code, response.get_json()["error"]["message"]) == (409, "已交卷，不能再修改答案")


def test_answers_outside_the_draw_tampered_ids_and_other_members_papers_are_refused(exam_world):
    phone, other, exam = exam_world["zhang"], exam_world["li"], exam_world["exam"]
    paper = phone.post(f"/api/quizzes/{exam.id}/attempts").get_json()
    attempt_id = paper["attempt_id"]
    drawn = {item["question_id"] for item in paper["items"]}
    not_drawn = next(q.id for q in db.session.scalars(sa.select(Question)) if q.id not in drawn)
    before = _items(attempt_id)
    cases = [
        (phone.put(f"/api/attempts/{attempt_id}/items/9", json={"given": [0]}), 404, "该题不在您的试卷中"),
        (phone.put(f"/api/attempts/{attempt_id}/items/0", json={"given": [0]}), 404, "该题不在您的试卷中"),
        (
            phone.put(f"/api/attempts/{attempt_id}/items/1", json={"given": [0], "question_id": not_drawn}),
            409,
            "题目与试卷不符，请刷新后重试",
        ),
        (phone.put(f"/api/attempts/{attempt_id}/items/1", json={"given": [7]}), 400, "所选选项不存在，请刷新后重试"),
        (phone.put(f"/api/attempts/{attempt_id}/items/1", json={"given": [0, 0]}), 400, "同一选项不能重复选择"),
        (other.put(f"/api/attempts/{attempt_id}/items/1", json={"given": [0]}), 404, "答卷不存在"),
        (other.get(f"/api/attempts/{attempt_id}"), 404, "答卷不存在"),
        (other.post(f"/api/attempts/{attempt_id}/submit"), 404, "答卷不存在"),
    ]
    for response, status, message in cases:
        assert (response.status_code, response.get_json()["error"]["message"]) == (status, message)
    single = next(item for item in paper["items"] if item["kind"] == "single")
    response = phone.put(f"/api/attempts/{attempt_id}/items/{single['position']}", json={"given": [0, 1]})
    assert (response.status_code, response.get_json()["error"]["message"]) == (400, "单选题只能选择一个答案")
    assert _items(attempt_id) == before
    assert db.session.get(Attempt, attempt_id).status is AttemptStatus.IN_PROGRESS


def test_an_oversize_answer_is_refused_before_it_is_read(exam_world):
    phone, exam = exam_world["zhang"], exam_world["exam"]
    paper = phone.post(f"/api/quizzes/{exam.id}/attempts").get_json()
    before = _items(paper["attempt_id"])
    body = {"given": [0], "padding": "党" * 2000}
    response = phone.put(f"/api/attempts/{paper['attempt_id']}/items/1", json=body)
    assert response.status_code == 413
    assert response.get_json()["error"] == {"code": "upload_too_large", "message": "提交的答案内容过大"}
    response = phone.put(f"/api/attempts/{paper['attempt_id']}/items/1", json={"given": list(range(9))})
    assert response.status_code == 422 and "given" in response.get_json()["error"]["fields"]
    assert _items(paper["attempt_id"]) == before


ANSWER_KEYS = {"answer", "answers", "explanation", "correct", "option_order", "seed"}


def _walk_keys(value, found: set) -> set:
    if isinstance(value, dict):
        for key, inner in value.items():
            found.add(key)
            _walk_keys(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _walk_keys(inner, found)
    return found


def test_the_answer_key_is_in_no_response_before_submission(exam_world, tree):
    """Every member API route answered before the member submits: no key, no explanation, no order map."""
    phone, exam = exam_world["zhang"], exam_world["exam"]
    practice = make_quiz(tree["a1"], [exam_world["bank"]], QuizKind.PRACTICE)
    contest = make_quiz(tree["a1"], [exam_world["bank"]], QuizKind.CONTEST)
    db.session.commit()
    responses = [phone.get("/api/quizzes")]
    papers = []
    for quiz in (exam, practice, contest):
        response = phone.post(f"/api/quizzes/{quiz.id}/attempts")
        responses.append(response)
        papers.append(response.get_json())
    for paper in papers:
        responses.append(phone.get(f"/api/attempts/{paper['attempt_id']}"))
        first = paper["items"][0]
        given = [0]
        responses.append(
            phone.put(f"/api/attempts/{paper['attempt_id']}/items/{first['position']}", json={"given": given})
        )
        responses.append(phone.get(f"/api/attempts/{paper['attempt_id']}/result"))  # 409: not submitted
    responses += [phone.get("/api/me/wrong-answers"), phone.get("/api/me/points"), phone.get("/api/leaderboard")]
    responses.append(phone.post("/api/me/wrong-answers/practice", json={}))  # 409: the book is empty
    keys: set = set()
    for response in responses:
        assert response.status_code in (200, 409), response.get_json()
        _walk_keys(response.get_json(), keys)
    assert not keys & ANSWER_KEYS, keys & ANSWER_KEYS
    texts = " ".join(response.get_data(as_text=True) for response in responses)
    assert "的解析" not in texts  # no explanation's text under any name


def test_an_attempt_left_open_is_closed_and_scored_by_the_job(exam_world):
    from server.quizzes.tasks import close_expired

    phone, exam = exam_world["zhang"], exam_world["exam"]
    paper = phone.post(f"/api/quizzes/{exam.id}/attempts").get_json()
    answer_all(phone, paper, right=8)
    attempt = db.session.get(Attempt, paper["attempt_id"])
    attempt.started_at -= timedelta(minutes=31)
    attempt.deadline_at = utcnow() - timedelta(seconds=5)
    db.session.commit()
    assert close_expired() == 1
    db.session.expire_all()
    attempt = db.session.get(Attempt, paper["attempt_id"])
    assert (attempt.status, attempt.closed_by.value, attempt.score, attempt.passed) == (
        AttemptStatus.SUBMITTED,
        "timeout",
        100,
        True,
    )
    assert attempt.points_awarded == 8 + 5
    assert close_expired() == 0  # nothing twice
    result = phone.get(f"/api/attempts/{paper['attempt_id']}/result").get_json()
    assert (result["closed_by"], result["score"]) == ("timeout", 100)
    # the member's late submit gets the score it has, nothing changes
    assert phone.post(f"/api/attempts/{paper['attempt_id']}/submit").get_json()["score"] == 100
    assert db.session.scalar(sa.select(sa.func.sum(PointsEntry.points))) == 13


def test_a_submit_after_the_deadline_closes_with_the_answers_saved_in_time(exam_world):
    phone, exam = exam_world["zhang"], exam_world["exam"]
    paper = phone.post(f"/api/quizzes/{exam.id}/attempts").get_json()
    answer_all(phone, paper, right=8)
    attempt = db.session.get(Attempt, paper["attempt_id"])
    attempt.started_at -= timedelta(minutes=40)
    attempt.deadline_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    outcome = phone.post(f"/api/attempts/{paper['attempt_id']}/submit").get_json()
    assert outcome["score"] == 100
    assert db.session.get(Attempt, paper["attempt_id"]).closed_by.value == "timeout"


def test_a_member_of_another_committee_can_neither_see_nor_take_the_quiz(
    exam_world, make_org, make_member, member_phone
):
    from server.orgs.models import OrgKind

    exam = exam_world["exam"]
    other = make_org("另一党委", OrgKind.COMMITTEE)
    outsider = member_phone(make_member(make_org("另一支部", OrgKind.BRANCH, other), "王五"))
    assert outsider.get("/api/quizzes").get_json()["items"] == []
    response = outsider.post(f"/api/quizzes/{exam.id}/attempts")
    missing = outsider.post("/api/quizzes/987654321/attempts")
    assert response.status_code == 404 and response.get_json() == missing.get_json()
    assert response.get_json()["error"]["message"] == "测验不存在"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0


def test_a_branch_quiz_is_not_for_the_sibling_branch_nor_a_draft_for_anyone(exam_world, tree):
    bank = exam_world["bank"]
    branch_quiz = make_quiz(tree["a1"], [bank], QuizKind.PRACTICE)
    draft = make_quiz(tree["committee"], [bank], QuizKind.EXAM, status=QuizStatus.DRAFT, title="草稿考试")
    db.session.commit()
    zhang, li = exam_world["zhang"], exam_world["li"]
    assert {q["id"] for q in zhang.get("/api/quizzes").get_json()["items"]} == {exam_world["exam"].id, branch_quiz.id}
    assert {q["id"] for q in li.get("/api/quizzes").get_json()["items"]} == {exam_world["exam"].id}
    assert li.post(f"/api/quizzes/{branch_quiz.id}/attempts").status_code == 404
    assert zhang.post(f"/api/quizzes/{draft.id}/attempts").status_code == 404


def test_a_quiz_not_yet_open_or_already_closed_cannot_be_started(exam_world, tree):
    bank = exam_world["bank"]
    now = utcnow()
    coming = make_quiz(tree["committee"], [bank], opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=2))
    over = make_quiz(tree["committee"], [bank], opens_at=now - timedelta(days=2), closes_at=now - timedelta(days=1))
    db.session.commit()
    phone = exam_world["zhang"]
    states = {q["id"]: q["state"] for q in phone.get("/api/quizzes").get_json()["items"]}
    assert (states[coming.id], states[over.id]) == ("upcoming", "closed")
    response = phone.post(f"/api/quizzes/{coming.id}/attempts")
    assert response.status_code == 409 and response.get_json()["error"]["message"].startswith("尚未开始，开始时间：")
    response = phone.post(f"/api/quizzes/{over.id}/attempts")
    assert (response.status_code, response.get_json()["error"]["message"]) == (409, "已结束，不能再作答")


def test_answers_are_revealed_only_after_the_close_when_the_quiz_says_so(exam_world, tree):
    from server.quizzes import builder

    exam = make_quiz(tree["committee"], [exam_world["bank"]], reveal=Reveal.AFTER_CLOSE, title="结束后公布")
    db.session.commit()
    phone = exam_world["zhang"]
    paper = phone.post(f"/api/quizzes/{exam.id}/attempts").get_json()
    answer_all(phone, paper, right=3)
    outcome = phone.post(f"/api/attempts/{paper['attempt_id']}/submit").get_json()
    assert outcome["reveal"] is False
    result = phone.get(f"/api/attempts/{paper['attempt_id']}/result").get_json()
    assert (result["score"], result["items"]) == (60, [])
    # while the exam runs, its questions stay out of the wrong-answer book
    assert phone.get("/api/me/wrong-answers").get_json()["total"] == 0
    builder.close(db.session.get(type(exam), exam.id))
    db.session.commit()
    result = phone.get(f"/api/attempts/{paper['attempt_id']}/result").get_json()
    assert len(result["items"]) == 5 and all("answer" in item for item in result["items"])
    assert phone.get("/api/me/wrong-answers").get_json()["total"] == 2


def test_the_wrong_answer_book_collects_misses_and_practice_clears_them(exam_world):
    phone, exam = exam_world["zhang"], exam_world["exam"]
    paper = phone.post(f"/api/quizzes/{exam.id}/attempts").get_json()
    answer_all(phone, paper, right=5)
    phone.post(f"/api/attempts/{paper['attempt_id']}/submit")
    book = phone.get("/api/me/wrong-answers").get_json()
    missed = {item["question_id"] for item in paper["items"][5:]}
    assert book["total"] == 3 and {item["question_id"] for item in book["items"]} == missed
    assert all(item["times_wrong"] == 1 for item in book["items"])

    practice = phone.post("/api/me/wrong-answers/practice", json={"count": 10}).get_json()
    assert practice["quiz_id"] is None and practice["title"] == "错题练习"
    assert {item["question_id"] for item in practice["items"]} == missed
    answer_all(phone, practice, right=2)
    outcome = phone.post(f"/api/attempts/{practice['attempt_id']}/submit").get_json()
    assert (outcome["correct"], outcome["points_awarded"], outcome["reveal"]) == (2, 0, True)
    book = phone.get("/api/me/wrong-answers").get_json()
    assert book["total"] == 1 and book["items"][0]["times_wrong"] == 2


def test_a_contest_takes_questions_in_turn_each_against_its_own_clock(tree, make_member, member_phone):
    bank = make_bank(tree["a1"], questions=6)
    contest = make_quiz(tree["a1"], [bank], QuizKind.CONTEST, draw_count=3, per_question_s=20, points_per_correct=2)
    db.session.commit()
    phone = member_phone(make_member(tree["a1"], "赵六"))
    paper = phone.post(f"/api/quizzes/{contest.id}/attempts").get_json()
    assert paper["per_question_s"] == 20 and paper["items"][0]["deadline_at"] is not None
    questions = questions_of(paper)
    first, second, third = paper["items"]
    url = f"/api/attempts/{paper['attempt_id']}/items"
    response = phone.put(f"{url}/2", json={"given": right_answer(second, questions[second["question_id"]])})
    assert (response.status_code, response.get_json()["error"]["message"]) == (409, "请先作答上一题")
    assert (
        phone.put(f"{url}/1", json={"given": right_answer(first, questions[first["question_id"]])}).status_code == 200
    )
    response = phone.put(f"{url}/1", json={"given": wrong_answer(first, questions[first["question_id"]])})
    assert (response.status_code, response.get_json()["error"]["message"]) == (409, "本题已作答，竞答不能修改答案")
    # The second question's 20 seconds run out (its window began when the first was answered).
    item = db.session.get(AttemptItem, (paper["attempt_id"], 1))
    item.answered_at -= timedelta(seconds=25)
    attempt = db.session.get(Attempt, paper["attempt_id"])
    attempt.started_at -= timedelta(seconds=26)
    db.session.commit()
    response = phone.put(f"{url}/2", json={"given": right_answer(second, questions[second["question_id"]])})
    assert (response.status_code, response.get_json()["error"]["message"]) == (409, "本题作答时间已到，答案未保存")
    assert (
        phone.put(f"{url}/3", json={"given": right_answer(third, questions[third["question_id"]])}).status_code == 200
    )
    outcome = phone.post(f"/api/attempts/{paper['attempt_id']}/submit").get_json()
    assert outcome["correct"] == 2 and outcome["passed"] is None
    # right and fast: 100 each plus up to 50 for speed (the first took about a second, the third under 25)
    assert 200 < outcome["score"] <= 300 and outcome["points_awarded"] == 4


def _while_held(app, hold, then):
    """``hold()`` in a transaction of its own, kept open while ``then()`` runs in another and for half a second
    more: on PostgreSQL ``then`` has to wait for the rows ``hold`` locked. Returns both results."""
    inside, release, results = threading.Event(), threading.Event(), {}

    def first() -> None:
        with app.app_context():
            results["held"] = hold()
            inside.set()
            release.wait(10)
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(10)
    threading.Timer(0.5, release.set).start()
    with app.app_context():
        results["then"] = then()
        db.session.commit()
    thread.join(10)
    db.session.expire_all()
    return results["held"], results["then"]


@pytest.mark.skipif(not USING_POSTGRES, reason="row locks under concurrent transactions: PostgreSQL")
def test_a_submit_and_the_closing_job_at_once_score_the_attempt_once(app, exam_world):
    phone, exam = exam_world["zhang"], exam_world["exam"]
    paper = phone.post(f"/api/quizzes/{exam.id}/attempts").get_json()
    answer_all(phone, paper, right=8)
    attempt_id = paper["attempt_id"]
    mine, job = _while_held(
        app,
        lambda: scoring.finish_own(attempt_id, phone.member_id, utcnow()),
        lambda: scoring.finish(attempt_id, ClosedBy.TIMEOUT, utcnow()),  # waits, then finds it closed
    )
    assert (mine.score, mine.points_awarded, job) == (100, 13, None)
    attempt = db.session.get(Attempt, attempt_id)
    assert (attempt.status, attempt.closed_by, attempt.score, attempt.points_awarded) == (
        AttemptStatus.SUBMITTED,
        ClosedBy.MEMBER,
        100,
        13,
    )
    assert db.session.scalars(sa.select(PointsEntry.points).where(PointsEntry.member_id == phone.member_id)).all() == [
        13
    ]


@pytest.mark.skipif(not USING_POSTGRES, reason="row locks under concurrent transactions: PostgreSQL")
def test_an_answer_being_saved_when_the_member_submits_is_scored(app, exam_world):
    phone, exam = exam_world["zhang"], exam_world["exam"]
    paper = phone.post(f"/api/quizzes/{exam.id}/attempts").get_json()
    answer_all(phone, paper, right=7)  # the last one wrong, for now
    last = paper["items"][-1]
    key = right_answer(last, questions_of(paper)[last["question_id"]])
    member = SimpleNamespace(id=phone.member_id)
    _, outcome = _while_held(
        app,
        lambda: taking.save_answer(paper["attempt_id"], member, last["position"], key),
        lambda: scoring.finish_own(paper["attempt_id"], phone.member_id, utcnow()),  # waits for the save
    )
    assert (outcome.correct, outcome.score) == (8, 100)
