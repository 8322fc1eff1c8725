"""The secretary's side: banks imported from Excel (template, per-row errors, all or nothing, bounded size)
and exported, questions added and switched off, the quiz builder, publishing and closing, results with
charts and Excel, the contest screen; each scoped to the admin's subtree and audited."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from server.audit.models import AuditLog
from server.auth.models import Role
from server.db import db, utcnow
from server.quizzes.bank_import import MAX_BYTES
from server.quizzes.models import Question, QuestionBank, Quiz, QuizKind, QuizStatus
from server.timezone import to_local
from tests.hostile_files import UnreadableBody
from tests.quizzes.factories import make_bank, make_quiz
from tests.quizzes.test_taking import answer_all

HEADER = [
    "题型",
    "题干",
    "选项A",
    "选项B",
    "选项C",
    "选项D",
    "选项E",
    "选项F",
    "选项G",
    "选项H",
    "答案",
    "解析",
    "标签",
]


@pytest.fixture
def admins(tree, make_admin):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    make_admin("jiaer", Role.SECRETARY, tree["a2"])
    make_admin("weiyuan", Role.COMMITTEE, tree["a1"])
    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])
    return tree


def _xlsx(rows: list[list], header=HEADER) -> dict:
    book = Workbook()
    sheet = book.active
    sheet.title = "题目"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return {"file": (buffer, "题库.xlsx")}


def _row(kind, stem, options, answer, explanation="", tags=""):
    return [kind, stem, *(options + [None] * (8 - len(options))), answer, explanation, tags]


GOOD = [
    _row("单选", "党的最高领导机关是？", ["全国代表大会和中央委员会", "中央政治局"], "A", "党章第十条", "党章"),
    _row("多选", "组织生活制度包括？", ["三会一课", "组织生活会", "民主评议党员"], "ABC"),
    _row("判断", "预备期为一年。", [], "正确", "党章第七条", "党章，发展党员"),
]


def _bank(admins, name="支部题库") -> QuestionBank:
    bank = QuestionBank(org=admins["a1"], name=name)
    db.session.add(bank)
    db.session.commit()
    return bank


def test_a_secretary_imports_a_bank_from_the_template(admins, browser):
    secretary = browser("shuji")
    template = secretary.get("/admin/quizzes/banks/template.xlsx")
    assert template.status_code == 200
    sheet = load_workbook(io.BytesIO(template.data))["题目"]
    assert [cell.value for cell in sheet[1]] == HEADER and sheet.max_row == 4  # header and three examples
    bank = _bank(admins)
    # the template's own examples import as they are
    response = secretary.post(
        f"/admin/quizzes/banks/{bank.id}/import",
        {"file": (io.BytesIO(template.data), "模板.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    response = secretary.post(f"/admin/quizzes/banks/{bank.id}/import", _xlsx(GOOD), content_type="multipart/form-data")
    assert response.status_code == 302
    questions = db.session.scalars(sa.select(Question).where(Question.bank_id == bank.id).order_by(Question.id)).all()
    assert len(questions) == 6
    single, multiple, true_false = questions[3:]
    assert (single.kind.value, single.options, single.answer, single.tags) == (
        "single",
        ["全国代表大会和中央委员会", "中央政治局"],
        [0],
        ["党章"],
    )
    assert (multiple.answer, true_false.options, true_false.answer, true_false.tags) == (
        [0, 1, 2],
        [],
        [0],
        ["党章", "发展党员"],
    )
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"question.create", "question_bank.import", "question_bank.template"} <= actions
    page = secretary.get(f"/admin/quizzes/banks/{bank.id}").get_data(as_text=True)
    assert "共 6 道" in page and "党的最高领导机关是？" in page


def test_a_file_with_bad_rows_imports_nothing_and_names_each_problem(admins, browser):
    bank = _bank(admins)
    rows = [
        *GOOD,
        _row("填空", "题型不对", ["甲", "乙"], "A"),
        _row("单选", "", ["甲", "乙"], "A"),
        _row("单选", "答案不在选项里", ["甲", "乙"], "C"),
        _row("单选", "单选两个答案", ["甲", "乙", "丙"], "AB"),
        _row("多选", "多选一个答案", ["甲", "乙", "丙"], "B"),
        _row("判断", "判断题带了选项", ["甲", "乙"], "正确"),
        _row("判断", "判断题答案不对", [], "B"),
        _row("单选", "选项空缺", ["甲", None, "丙"], "A"),
        _row("单选", "党的最高领导机关是？", ["甲", "乙"], "A"),
    ]
    response = browser("shuji").post(
        f"/admin/quizzes/banks/{bank.id}/import", _xlsx(rows), content_type="multipart/form-data"
    )
    assert response.status_code == 400
    found = re.findall(
        r"<tr><td>第 (\d+) 行</td><td>([^<]+)</td><td>([^<]+)</td></tr>", response.get_data(as_text=True)
    )
    assert found == [
        ("5", "题型", "题型应为 单选、多选 或 判断"),
        ("6", "题干", "请填写题干"),
        ("7", "答案", "答案应为选项字母（A–B），如 B 或 ACD"),
        ("8", "答案", "单选题只能有一个正确答案"),
        ("9", "答案", "多选题至少有两个正确答案"),
        ("10", "选项A", "判断题不填选项（手机上显示“正确”“错误”）"),
        ("11", "答案", "判断题的答案应为“正确”或“错误”"),
        ("12", "选项A", "选择题至少需要 2 个选项，且选项之间不能空缺"),
        ("13", "题干", "与第 2 行的题干相同"),
    ]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0


def test_a_second_upload_of_the_same_file_adds_nothing(admins, browser):
    bank = _bank(admins)
    secretary = browser("shuji")
    assert (
        secretary.post(
            f"/admin/quizzes/banks/{bank.id}/import", _xlsx(GOOD), content_type="multipart/form-data"
        ).status_code
        == 302
    )
    response = secretary.post(f"/admin/quizzes/banks/{bank.id}/import", _xlsx(GOOD), content_type="multipart/form-data")
    assert response.status_code == 400 and response.get_data(as_text=True).count("题库中已有相同题干的题目") == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 3


def test_oversize_files_and_non_excel_are_refused_before_parsing(admins, browser):
    bank = _bank(admins)
    secretary = browser("shuji")
    response = secretary.client.post(
        f"/admin/quizzes/banks/{bank.id}/import",
        input_stream=UnreadableBody(MAX_BYTES + 100 * 1024),  # past the file bound and the form overhead
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 413 and "题库文件不能超过 1 MB" in response.get_data(as_text=True)
    fake = {"file": (io.BytesIO(b"not a workbook"), "假.xlsx")}
    response = secretary.post(f"/admin/quizzes/banks/{bank.id}/import", fake, content_type="multipart/form-data")
    assert response.status_code == 400 and "不是有效的 Excel" in response.get_data(as_text=True)
    response = secretary.post(
        f"/admin/quizzes/banks/{bank.id}/import",
        _xlsx(GOOD, header=["题目", "答案"]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "表头缺少必填列：题型、题干" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0


def test_an_exported_bank_imports_again_as_it_was(admins, browser):
    bank = _bank(admins)
    secretary = browser("shuji")
    secretary.post(f"/admin/quizzes/banks/{bank.id}/import", _xlsx(GOOD), content_type="multipart/form-data")
    exported = secretary.get(f"/admin/quizzes/banks/{bank.id}/export.xlsx")
    assert exported.status_code == 200
    copy = _bank(admins, "副本")
    response = secretary.post(
        f"/admin/quizzes/banks/{copy.id}/import",
        {"file": (io.BytesIO(exported.data), "导出.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302

    def content(bank_id):
        return [
            (q.kind, q.stem, q.options, q.answer, q.explanation, q.tags)
            for q in db.session.scalars(sa.select(Question).where(Question.bank_id == bank_id).order_by(Question.id))
        ]

    assert content(copy.id) == content(bank.id)


def test_banks_are_scoped_and_shared_down_the_tree(admins, browser):
    committee_bank = make_bank(admins["committee"], "党委题库", questions=2)
    own = make_bank(admins["a1"], "甲一题库", questions=2)
    sibling = make_bank(admins["a2"], "甲二题库", questions=2)
    db.session.commit()
    secretary = browser("shuji")
    page = secretary.get("/admin/quizzes/banks").get_data(as_text=True)
    assert "党委题库" in page and "甲一题库" in page and "甲二题库" not in page
    assert secretary.get(f"/admin/quizzes/banks/{committee_bank.id}").status_code == 200  # read-only
    response = secretary.post(
        f"/admin/quizzes/banks/{committee_bank.id}/import", _xlsx(GOOD), content_type="multipart/form-data"
    )
    assert response.status_code == 403 and "上级组织的题库只能查看和选用" in response.get_data(as_text=True)
    assert secretary.get(f"/admin/quizzes/banks/{sibling.id}").status_code == 404
    question = db.session.scalar(sa.select(Question).where(Question.bank_id == own.id))
    assert browser("weiyuan").post(f"/admin/quizzes/questions/{question.id}/active", {"active": "0"}).status_code == 403
    assert secretary.post(f"/admin/quizzes/questions/{question.id}/active", {"active": "0"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, question.id).active is False


def test_adding_and_editing_a_question_by_hand(admins, browser):
    bank = _bank(admins)
    secretary = browser("shuji")
    form = {"kind": "single", "stem": "入党誓词由谁制定？", "option_A": "党中央", "option_B": "支部", "answer": "a"}
    assert secretary.post(f"/admin/quizzes/banks/{bank.id}/questions", form).status_code == 302
    question = db.session.scalar(sa.select(Question))
    assert (question.options, question.answer) == (["党中央", "支部"], [0])
    response = secretary.post(f"/admin/quizzes/questions/{question.id}/edit", form | {"answer": "AB"})
    assert response.status_code == 400 and "单选题只能有一个正确答案" in response.get_data(as_text=True)
    assert secretary.post(f"/admin/quizzes/questions/{question.id}/edit", form | {"answer": "B"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, question.id).answer == [1]
    assert "question.update" in set(db.session.scalars(sa.select(AuditLog.action)))


def _local(moment) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def test_building_publishing_and_closing_an_exam(admins, browser, make_member, member_phone):
    bank = make_bank(admins["committee"], "党委题库", questions=12)
    db.session.commit()
    secretary = browser("shuji")
    assert "党委题库" in secretary.get("/admin/quizzes/new").get_data(as_text=True)
    now = utcnow()
    form = {
        "kind": "exam",
        "title": "一季度党章考试",
        "org_id": str(admins["a1"].id),
        "bank_ids": [str(bank.id)],
        "draw_count": "10",
        "opens_at": _local(now - timedelta(minutes=5)),
        "closes_at": _local(now + timedelta(days=3)),
        "time_limit_min": "",
        "pass_mark": "60",
        "reveal": "after_close",
        "points_per_correct": "1",
        "pass_points": "5",
    }
    response = secretary.post("/admin/quizzes/new", form)
    assert response.status_code == 400 and "考试须限定答题时长" in response.get_data(as_text=True)
    response = secretary.post("/admin/quizzes/new", form | {"time_limit_min": "30", "draw_count": "20"})
    assert response.status_code == 302
    quiz = db.session.scalar(sa.select(Quiz))
    assert (quiz.status, quiz.time_limit_s, quiz.attempts_allowed, quiz.shuffle_options) == (
        QuizStatus.DRAFT,
        1800,
        1,
        False,
    )
    # a draft is not for members
    phone = member_phone(make_member(admins["a1"], "张三"))
    assert phone.get("/api/quizzes").get_json()["items"] == []
    secretary.post(f"/admin/quizzes/{quiz.id}/publish")
    db.session.expire_all()
    assert db.session.get(Quiz, quiz.id).status is QuizStatus.DRAFT  # 20 drawn from 12: refused
    assert secretary.post(f"/admin/quizzes/{quiz.id}/edit", form | {"time_limit_min": "30"}).status_code == 302
    assert secretary.post(f"/admin/quizzes/{quiz.id}/publish").status_code == 302
    db.session.expire_all()
    assert db.session.get(Quiz, quiz.id).status is QuizStatus.PUBLISHED
    assert secretary.get(f"/admin/quizzes/{quiz.id}/edit").status_code == 409

    paper = phone.post(f"/api/quizzes/{quiz.id}/attempts").get_json()
    answer_all(phone, paper, right=7)
    assert secretary.post(f"/admin/quizzes/{quiz.id}/close").status_code == 302
    from server.quizzes.tasks import close_expired

    assert close_expired(utcnow() + timedelta(seconds=1)) == 1
    result = phone.get(f"/api/attempts/{paper['attempt_id']}/result").get_json()
    assert (result["score"], result["passed"], result["closed_by"], len(result["items"])) == (70, True, "timeout", 10)
    actions = [a for (a,) in db.session.execute(sa.select(AuditLog.action).where(AuditLog.entity_type == "quiz"))]
    assert actions.count("quiz.create") == 1 and actions.count("quiz.update") >= 3  # edit, publish, close


def test_the_results_page_and_its_excel_export(admins, browser, make_member, member_phone):
    bank = make_bank(admins["committee"], "党委题库", questions=10)
    exam = make_quiz(admins["general_a"], [bank], QuizKind.EXAM, draw_count=10)
    db.session.commit()
    for n, right in enumerate((10, 7, 5)):
        phone = member_phone(make_member(admins["a1" if n < 2 else "a2"], f"党员{n}"))
        paper = phone.post(f"/api/quizzes/{exam.id}/attempts").get_json()
        answer_all(phone, paper, right=right)
        phone.post(f"/api/attempts/{paper['attempt_id']}/submit")
    make_member(admins["a2"], "未参加")
    page = browser("dangwei").get(f"/admin/quizzes/{exam.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r'id="kpi-audience">4<', html) and re.search(r'id="kpi-participants">3<', html)
    assert re.search(r'id="kpi-average">73.3<', html) and re.search(r'id="kpi-pass-rate">66.7%<', html)
    chart = json.loads(re.search(r'id="quiz-results-data" type="application/json">(.*?)</script>', html).group(1))
    assert dict(chart["distribution"])["50–59"] == 1 and dict(chart["distribution"])["90–100"] == 1
    assert dict(chart["branches"]) == {"甲一支部": 100.0, "甲二支部": 50.0}
    export = browser("dangwei").get(f"/admin/quizzes/{exam.id}/results.xlsx")
    book = load_workbook(io.BytesIO(export.data))
    scores = [[cell.value for cell in row] for row in book["成绩"].iter_rows(min_row=2)]
    assert [(row[0], row[8], row[9]) for row in scores] == [
        ("党员0", 100, "及格"),
        ("党员1", 70, "及格"),
        ("党员2", 50, "不及格"),
    ]
    branches = [[cell.value for cell in row] for row in book["支部参与"].iter_rows(min_row=2)]
    assert [row[:4] for row in branches] == [["甲一支部", 2, 2, 100.0], ["甲二支部", 2, 1, 50.0]]
    assert len(list(book["题目正确率"].iter_rows(min_row=2))) == 10
    assert "quiz.export" in set(db.session.scalars(sa.select(AuditLog.action)))
    # a sibling branch's secretary does not see a general branch's quiz
    assert browser("jiaer").get(f"/admin/quizzes/{exam.id}").status_code == 404


def test_the_contest_screen_ranks_by_score_then_time(admins, browser, make_member, member_phone):
    bank = make_bank(admins["a1"], questions=6)
    contest = make_quiz(admins["a1"], [bank], QuizKind.CONTEST, draw_count=3, per_question_s=30)
    db.session.commit()
    for name, right in (("快而全对", 3), ("答对两题", 2)):
        phone = member_phone(make_member(admins["a1"], name))
        paper = phone.post(f"/api/quizzes/{contest.id}/attempts").get_json()
        answer_all(phone, paper, right=right)
        phone.post(f"/api/attempts/{paper['attempt_id']}/submit")
    waiting = member_phone(make_member(admins["a1"], "还在答题"))
    waiting.post(f"/api/quizzes/{contest.id}/attempts")
    secretary = browser("shuji")
    assert "投屏排行榜" in secretary.get(f"/admin/quizzes/{contest.id}").get_data(as_text=True)
    screen = secretary.get(f"/admin/quizzes/{contest.id}/screen").get_data(as_text=True)
    assert 'hx-trigger="load, every 2s"' in screen
    board = secretary.get(f"/admin/quizzes/{contest.id}/screen/board").get_data(as_text=True)
    names = re.findall(r'<td class="rank">(\d+)</td><td>([^<]+)</td>', board)
    assert names == [("1", "快而全对"), ("2", "答对两题")]
    assert re.search(r'id="submitted">2<', board) and re.search(r'id="answering">1<', board)


def test_the_points_leaderboard_page_is_scoped(admins, browser, make_member):
    from server.points.models import PointsSource
    from server.points.services import award

    a = make_member(admins["a1"], "甲一之星")
    b = make_member(admins["b1"], "乙一之星")
    award(a.id, PointsSource.EXAM, "exam:1", 10)
    award(b.id, PointsSource.EXAM, "exam:1", 20)
    db.session.commit()
    secretary = browser("shuji")
    page = secretary.get("/admin/points/").get_data(as_text=True)
    assert "甲一之星" in page and "乙一之星" not in page
    assert secretary.get(f"/admin/points/?org_id={admins['b1'].id}").status_code == 404
    page = browser("dangwei").get(f"/admin/points/?org_id={admins['committee'].id}&period=month").get_data(as_text=True)
    assert page.index("乙一之星") < page.index("甲一之星")
