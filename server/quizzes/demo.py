"""The demo's quizzes: a committee bank of questions on the Party Constitution and rules, an exam that ended
last week with its results, the daily practice members have been doing, a contest under way in one
general branch, and the points all of it earned (through the real scoring and the real ledger)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.auth.member_services import MemberIdentity
from server.db import core_execute, db, utcnow
from server.members.models import Member
from server.orgs.models import Organisation, OrgKind
from server.quizzes import draw, scoring, taking
from server.quizzes.models import (
    Attempt,
    AttemptItem,
    ClosedBy,
    Question,
    QuestionBank,
    QuestionKind,
    Quiz,
    QuizKind,
    QuizStatus,
    Reveal,
)

S, M, T = QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE
#: (kind, stem, options, answer indexes, explanation, tags)
QUESTIONS = (
    (
        S,
        "党的最高领导机关是（　）。",
        ["党的全国代表大会和它所产生的中央委员会", "中央政治局", "中央书记处", "中央军事委员会"],
        [0],
        "《中国共产党章程》第十条：党的最高领导机关，是党的全国代表大会和它所产生的中央委员会。",
        ["党章", "组织制度"],
    ),
    (
        S,
        "预备党员的预备期为（　）。",
        ["半年", "一年", "两年", "三年"],
        [1],
        "党章第七条：预备党员的预备期为一年。",
        ["党章", "发展党员"],
    ),
    (
        S,
        "申请入党的人，要填写入党志愿书，要有（　）正式党员作介绍人。",
        ["一名", "两名", "三名", "不需要"],
        [1],
        "党章第五条：申请入党的人，要填写入党志愿书，要有两名正式党员作介绍人。",
        ["党章", "发展党员"],
    ),
    (
        S,
        "党员如果没有正当理由，连续（　）不参加党的组织生活，或不交纳党费，或不做党所分配的工作，就被认为是自行脱党。",
        ["三个月", "六个月", "九个月", "一年"],
        [1],
        "党章第九条。",
        ["党章", "党费"],
    ),
    (
        S,
        "党支部党员大会一般每（　）召开 1 次。",
        ["月", "季度", "半年", "年"],
        [1],
        "《中国共产党支部工作条例（试行）》第十九条：党员大会一般每季度召开 1 次。",
        ["支部工作条例", "三会一课"],
    ),
    (
        S,
        "党支部委员会会议一般每（　）召开 1 次。",
        ["周", "月", "季度", "半年"],
        [1],
        "《中国共产党支部工作条例（试行）》第十九条：支部委员会会议一般每月召开 1 次。",
        ["支部工作条例", "三会一课"],
    ),
    (
        S,
        "正式党员（　）人以上的党支部，应当设立党支部委员会。",
        ["3", "5", "7", "10"],
        [2],
        "《中国共产党支部工作条例（试行）》第九条。",
        ["支部工作条例", "组织设置"],
    ),
    (
        S,
        "中国共产党党员是中国工人阶级的有共产主义觉悟的先锋战士，年满（　）岁可以申请加入中国共产党。",
        ["16", "18", "20", "22"],
        [1],
        "党章第一条：年满十八岁的中国工人、农民、军人、知识分子和其他社会阶层的先进分子……",
        ["党章", "发展党员"],
    ),
    (
        S,
        "党的纪律处分有（　）种。",
        ["三", "四", "五", "六"],
        [2],
        "党章第三十九条：警告、严重警告、撤销党内职务、留党察看、开除党籍。",
        ["党章", "纪律"],
    ),
    (
        S,
        "留党察看最长不超过（　）。",
        ["半年", "一年", "两年", "三年"],
        [2],
        "党章第三十九条：留党察看最长不超过两年。",
        ["党章", "纪律"],
    ),
    (
        S,
        "党是根据自己的纲领和章程，按照（　）组织起来的统一整体。",
        ["民主集中制", "集体领导制", "个人分工负责制", "少数服从多数"],
        [0],
        "党章第十条。",
        ["党章", "组织制度"],
    ),
    (
        S,
        "党的最高理想和最终目标是（　）。",
        ["实现共产主义", "全面建成小康社会", "实现中华民族伟大复兴", "建成社会主义现代化强国"],
        [0],
        "党章总纲。",
        ["党章"],
    ),
    (
        S,
        "预备党员的预备期，从（　）之日算起。",
        ["递交入党申请书", "支部大会通过他为预备党员", "上级党组织批准", "入党宣誓"],
        [1],
        "党章第七条。",
        ["党章", "发展党员"],
    ),
    (
        S,
        "党支部应当每月相对固定（　）天开展主题党日。",
        ["1", "2", "3", "半"],
        [0],
        "《中国共产党支部工作条例（试行）》第二十条。",
        ["支部工作条例", "主题党日"],
    ),
    (
        S,
        "在职党员月收入（税后）3000 元以下（含 3000 元）者，每月按月收入的（　）交纳党费。",
        ["0.5%", "1%", "1.5%", "2%"],
        [0],
        "《关于中国共产党党费收缴、使用和管理的规定》（中组发〔2008〕3号）。",
        ["党费"],
    ),
    (
        S,
        "在职党员月收入（税后）10000 元以上者，每月按月收入的（　）交纳党费。",
        ["1%", "1.5%", "2%", "3%"],
        [2],
        "中组发〔2008〕3号。",
        ["党费"],
    ),
    (
        S,
        "党支部组织生活会一般每年召开（　）次。",
        ["1", "2", "3", "4"],
        [0],
        "《中国共产党支部工作条例（试行）》第十九条。",
        ["支部工作条例", "组织生活会"],
    ),
    (
        S,
        "发展党员，必须经过党的支部，坚持（　）的原则。",
        ["个别吸收", "集体吸收", "成熟一批发展一批", "自愿报名"],
        [0],
        "党章第五条。",
        ["党章", "发展党员"],
    ),
    (
        M,
        "党的纪律处分包括（　）。",
        ["警告", "严重警告", "撤销党内职务", "留党察看"],
        [0, 1, 2, 3],
        "党章第三十九条，另有开除党籍。",
        ["党章", "纪律"],
    ),
    (
        M,
        "“三会一课”中的“三会”是指（　）。",
        ["支部党员大会", "支部委员会", "党小组会", "组织生活会"],
        [0, 1, 2],
        "三会一课：支部党员大会、支部委员会、党小组会，按时上好党课。",
        ["三会一课"],
    ),
    (
        M,
        "党员享有的权利包括（　）。",
        [
            "参加党的有关会议，阅读党的有关文件，接受党的教育和培训",
            "在党的会议上和党报党刊上，参加关于党的政策问题的讨论",
            "行使表决权、选举权，有被选举权",
            "公开发表同中央决定相违背的言论",
        ],
        [0, 1, 2],
        "党章第四条。",
        ["党章", "党员权利"],
    ),
    (
        M,
        "民主评议党员的等次有（　）。",
        ["优秀", "合格", "基本合格", "不合格"],
        [0, 1, 2, 3],
        "民主评议党员一般每年一次，评定为优秀、合格、基本合格、不合格。",
        ["民主评议"],
    ),
    (
        M,
        "党的建设必须坚决实现的基本要求包括（　）。",
        ["坚持党的基本路线", "坚持解放思想，实事求是，与时俱进，求真务实", "坚持全心全意为人民服务", "坚持民主集中制"],
        [0, 1, 2, 3],
        "党章总纲。",
        ["党章"],
    ),
    (
        M,
        "党员必须履行的义务包括（　）。",
        [
            "认真学习马克思列宁主义、毛泽东思想等党的理论",
            "贯彻执行党的基本路线和各项方针、政策",
            "坚持党和人民的利益高于一切",
            "自觉遵守党的纪律",
        ],
        [0, 1, 2, 3],
        "党章第三条。",
        ["党章", "党员义务"],
    ),
    (
        T,
        "预备党员没有表决权、选举权和被选举权。",
        [],
        [0],
        "党章第七条：预备党员的权利，除了没有表决权、选举权和被选举权以外，也同正式党员一样。",
        ["党章", "发展党员"],
    ),
    (
        T,
        "党员连续六个月不交纳党费，即使有正当理由，也被认为是自行脱党。",
        [],
        [1],
        "党章第九条：没有正当理由的，才被认为是自行脱党。",
        ["党章", "党费"],
    ),
    (
        T,
        "党支部是党的基础组织，是党在社会基层组织中的战斗堡垒。",
        [],
        [0],
        "《中国共产党支部工作条例（试行）》第二条。",
        ["支部工作条例"],
    ),
    (
        T,
        "预备期满，党组织认为不具备党员条件的，只能取消预备党员资格，不能延长预备期。",
        [],
        [1],
        "党章第七条：需要继续考察和教育的，可以延长预备期，但不能超过一年。",
        ["党章", "发展党员"],
    ),
    (
        T,
        "党员有权向党的上级组织直至中央提出请求、申诉和控告，并要求有关组织给以负责的答复。",
        [],
        [0],
        "党章第四条。",
        ["党章", "党员权利"],
    ),
    (
        T,
        "党员个人服从党的组织，少数服从多数，下级组织服从上级组织，全党各个组织和全体党员服从党的全国代表大会和中央委员会。",
        [],
        [0],
        "党章第十条：民主集中制的基本原则。",
        ["党章", "组织制度"],
    ),
    (T, "入党誓词中有“永不叛党”。", [], [0], "入党誓词：……随时准备为党和人民牺牲一切，永不叛党。", ["入党誓词"]),
)


def seed_quizzes(committee: Organisation, members: list[Member], seed_value: int = 12) -> None:
    """Bank, a past exam with results, daily practice and a contest under way, with their points."""
    rng = random.Random(seed_value)  # its own: the rest of the demo stays as it was
    now = utcnow()
    bank = _bank(committee)
    bound = [m for m in members if m.id % 3]  # about two in three use the mini-program
    exam = _quiz(
        committee,
        bank,
        QuizKind.EXAM,
        "2026年第四季度党章党规知识测试",
        now - timedelta(days=14),
        now - timedelta(days=7),
    )
    exam.time_limit_s, exam.attempts_allowed, exam.pass_mark = 1800, 1, 60
    exam.draw_count, exam.reveal, exam.pass_points = 20, Reveal.AFTER_CLOSE, 5
    exam.description = "闭卷作答，限时 30 分钟，每人一次机会，60 分及格。考试结束后公布答案和解析。"
    practice = _quiz(committee, bank, QuizKind.PRACTICE, "每日一练：党章党规", now - timedelta(days=30), None)
    practice.draw_count, practice.description = 5, "每天随机 5 道题，可反复练习；答对一题得 1 分，每天最多 5 分。"
    general = db.session.scalar(
        sa.select(Organisation)
        .where(Organisation.parent_id == committee.id, Organisation.kind == OrgKind.GENERAL_BRANCH)
        .order_by(Organisation.id)
        .limit(1)
    )
    contest = _quiz(
        general, bank, QuizKind.CONTEST, "“学党章 守党规”知识竞答赛", now - timedelta(hours=2), now + timedelta(days=2)
    )
    contest.draw_count, contest.per_question_s, contest.attempts_allowed = 10, 20, 1
    contest.description = "10 道题，每题 20 秒，答对越多、用时越短排名越前。"
    db.session.flush()
    _sit(rng, exam, [m for m in bound if rng.random() < 0.85], exam.opens_at, span=timedelta(days=6))
    exam.status, exam.closed_at = QuizStatus.CLOSED, exam.closes_at
    for days_ago in range(6, 0, -1):
        day = now - timedelta(days=days_ago)
        _sit(rng, practice, rng.sample(bound, min(len(bound), 40)), day.replace(hour=12), span=timedelta(hours=9))
    general_path = general.path or ""
    in_general = [m for m in bound if m.org.path and m.org.path.startswith(general_path)]
    _sit(rng, contest, rng.sample(in_general, min(len(in_general), 25)), contest.opens_at, span=timedelta(minutes=90))


def _bank(committee: Organisation) -> QuestionBank:
    bank = QuestionBank(
        org=committee,
        name="党章党规知识题库",
        description="《中国共产党章程》《中国共产党支部工作条例（试行）》及党费规定",
    )
    db.session.add(bank)
    for kind, stem, options, answer, explanation, tags in QUESTIONS:
        db.session.add(
            Question(
                bank=bank, kind=kind, stem=stem, options=options, answer=answer, explanation=explanation, tags=tags
            )
        )
    db.session.flush()
    return bank


def _quiz(org: Organisation, bank: QuestionBank, kind: QuizKind, title: str, opens: datetime, closes) -> Quiz:
    quiz = Quiz(
        org=org,
        kind=kind,
        title=title,
        draw_count=10,
        opens_at=opens,
        closes_at=closes,
        status=QuizStatus.PUBLISHED,
        published_at=opens - timedelta(days=1),
        points_per_correct=1,
        shuffle_options=True,
    )
    quiz.banks = [bank]
    db.session.add(quiz)
    return quiz


_ITEMS = sa.select(AttemptItem.position, AttemptItem.option_order, Question.kind, Question.answer).join(
    Question, Question.id == AttemptItem.question_id
)
_ANSWER = sa.text(
    "UPDATE quiz_attempt_items SET given = :given, answered_at = :at, ms_taken = :ms "
    "WHERE attempt_id = :attempt AND position = :position"
).bindparams(
    sa.bindparam("at", type_=AttemptItem.__table__.c.answered_at.type),
    sa.bindparam("given", type_=AttemptItem.__table__.c.given.type),
)


def _sit(rng: random.Random, quiz: Quiz, members: list[Member], start: datetime, span: timedelta) -> None:
    """Each member starts somewhere in ``span``, answers as well as they know the rules, and submits."""
    candidates = [draw.Candidate(q.id, q.kind, len(q.options)) for q in db.session.scalars(sa.select(Question))]
    for member in members:
        began = start + timedelta(seconds=rng.uniform(0, span.total_seconds()))
        identity = MemberIdentity(0, member.id, member.name, member.org_id, member.group_id, None)
        number = 1 + db.session.scalar(
            sa.select(sa.func.count()).where(Attempt.quiz_id == quiz.id, Attempt.member_id == member.id)
        )
        attempt_id = taking._new_attempt(identity, quiz, number, candidates, quiz.draw_count, began)
        knows = rng.uniform(0.45, 0.98)
        moment = began
        for position, order, kind, answer in db.session.execute(_ITEMS.where(AttemptItem.attempt_id == attempt_id)):
            taken = rng.uniform(3, 18)
            moment += timedelta(seconds=taken)
            given = scoring.shown_answer(answer, order) if rng.random() < knows else _wrong(rng, kind, order, answer)
            core_execute(
                _ANSWER,
                {"given": given, "at": moment, "ms": int(taken * 1000), "attempt": attempt_id, "position": position},
            )
        timed_out = quiz.kind is QuizKind.EXAM and rng.random() < 0.05
        scoring.finish(attempt_id, ClosedBy.TIMEOUT if timed_out else ClosedBy.MEMBER, moment + timedelta(seconds=5))


def _wrong(rng: random.Random, kind: QuestionKind, order: list[int], answer: list[int]) -> list[int]:
    right = scoring.shown_answer(answer, order)
    others = [index for index in range(len(order)) if index not in right] or [0]
    if kind is QuestionKind.MULTIPLE:
        return sorted({*right[:-1], rng.choice(others)})  # one right option missed, a wrong one ticked
    return [rng.choice(others)]
