"""An exam end to end on the embedded default, as new users would meet it: the secretary imports a bank from
Excel and publishes an exam through the admin pages; a member takes it with the mini-program's own client
(in node), loses the connection half-way, resumes, submits and sees the score; the points and the
leaderboard follow."""

from __future__ import annotations

import io
import json
import os
import subprocess
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook

from server.auth.models import Role
from server.config import PROJECT_ROOT
from server.db import db, utcnow
from server.points import leaderboard
from server.points.leaderboard import Period
from server.points.models import PointsEntry
from server.quizzes.models import Attempt, AttemptStatus, QuestionBank, Quiz, QuizStatus
from server.timezone import to_local

JEST = PROJECT_ROOT / "node_modules" / ".bin" / "jest"
LETTERS = "ABCDEFGH"


def _bank_file() -> tuple[bytes, dict]:
    """Ten questions the way a secretary fills the template, and the key the member will answer with."""
    book = Workbook()
    sheet = book.active
    sheet.title = "题目"
    sheet.append(["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "标签"])
    key = {}
    for n in range(1, 11):
        if n % 4 == 0:
            stem = f"第{n}题：判断正误"
            sheet.append(["判断", stem, None, None, None, None, "正确" if n % 8 else "错误", f"解析{n}", "党章"])
            key[stem] = "正确" if n % 8 else "错误"
        elif n % 3 == 0:
            stem, options = f"第{n}题：下列哪些正确", [f"甲{n}", f"乙{n}", f"丙{n}", f"丁{n}"]
            sheet.append(["多选", stem, *options, "AC", f"解析{n}", "党章"])
            key[stem] = [options[0], options[2]]
        else:
            stem, options = f"第{n}题：选出正确的一项", [f"子{n}", f"丑{n}", f"寅{n}", f"卯{n}"]
            sheet.append(["单选", stem, *options, LETTERS[n % 4], f"解析{n}", "党规"])
            key[stem] = [options[n % 4]]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), key


def test_a_secretary_publishes_an_exam_and_a_member_takes_it_on_the_phone(
    app, live_server, emulator, tree, make_member, make_admin, browser
):
    assert JEST.exists(), "node_modules is missing: run `make setup`"
    member = make_member(tree["a1"], "周答题", phone="13600004444")
    make_member(tree["a1"], "未作答")
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    secretary = browser("shuji")

    assert secretary.post("/admin/quizzes/banks", {"org_id": tree["a1"].id, "name": "支部题库"}).status_code == 302
    content, key = _bank_file()
    bank_id = db.session.scalar(sa.select(QuestionBank.id).where(QuestionBank.name == "支部题库"))
    response = secretary.post(
        f"/admin/quizzes/banks/{bank_id}/import",
        {"file": (io.BytesIO(content), "支部题库.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    now = utcnow()
    form = {
        "kind": "exam",
        "title": "支部党规测试",
        "org_id": str(tree["a1"].id),
        "bank_ids": [str(bank_id)],
        "draw_count": "10",
        "opens_at": to_local(now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": to_local(now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "time_limit_min": "20",
        "pass_mark": "60",
        "shuffle_options": "on",
        "points_per_correct": "1",
        "pass_points": "5",
    }
    assert secretary.post("/admin/quizzes/new", form).status_code == 302
    quiz = db.session.scalar(sa.select(Quiz))
    assert secretary.post(f"/admin/quizzes/{quiz.id}/publish").status_code == 302

    world = {
        "member": {"user": "wx-zhou", "phone": member.phone, "name": member.name},
        "title": "支部党规测试",
        "count": 10,
        "passPoints": 5,
        "key": key,
    }
    env = os.environ | {
        "CONTRACT_SERVER": live_server,
        "CONTRACT_EMULATOR": emulator.base_url,
        "CONTRACT_QUIZ": json.dumps(world, ensure_ascii=False),
    }
    result = subprocess.run(
        [str(JEST), "--ci", "--runTestsByPath", str(Path("miniprogram/tests/quiz.contract.test.js"))],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stderr

    db.session.expire_all()
    assert db.session.get(Quiz, quiz.id).status is QuizStatus.PUBLISHED
    attempt = db.session.scalars(sa.select(Attempt)).one()
    assert (attempt.member_id, attempt.status, attempt.score, attempt.passed) == (
        member.id,
        AttemptStatus.SUBMITTED,
        90,
        True,
    )
    entry = db.session.scalars(sa.select(PointsEntry)).one()
    assert (entry.ref, entry.points, entry.note) == (f"exam:{quiz.id}", 14, "支部党规测试")
    standings = leaderboard.top(tree["committee"], Period.ALL)
    assert [(s.rank, s.name, s.points) for s in standings] == [(1, "周答题", 14)]
    page = secretary.get(f"/admin/quizzes/{quiz.id}").get_data(as_text=True)
    assert 'id="kpi-participants">1<' in page and 'id="kpi-audience">2<' in page
