"""Question banks, quizzes (daily practice, exams, contests), members' attempts and the wrong-answer book.

The answer key lives in ``questions.answer`` and nowhere a member's request reads before submission: the
member API builds its answers from the columns it names (``taking.py``), never from a whole ``Question``.

Indexes of options. ``Question.options`` keeps the order the secretary wrote; ``Question.answer`` holds
indexes into it. An attempt shows each question's options in its own order (``AttemptItem.option_order``,
a permutation: displayed position -> written index), and the member's ``given`` holds displayed positions,
mapped back only when scored. A true/false question has no options: the phone shows 正确 (0) and 错误 (1).
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.audit.services import org_id_of
from server.db import UTCDateTime, db, utcnow
from server.orgs.models import Organisation, enum_column


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"

    @property
    def label(self) -> str:
        return QUESTION_KIND_LABELS[self]


QUESTION_KIND_LABELS = {QuestionKind.SINGLE: "单选", QuestionKind.MULTIPLE: "多选", QuestionKind.TRUE_FALSE: "判断"}
#: what the phone shows for a true/false question's two choices, in displayed order
TRUE_FALSE_CHOICES = ("正确", "错误")
MAX_OPTIONS = 8


class QuizKind(enum.StrEnum):
    PRACTICE = "practice"
    EXAM = "exam"
    CONTEST = "contest"

    @property
    def label(self) -> str:
        return QUIZ_KIND_LABELS[self]


QUIZ_KIND_LABELS = {QuizKind.PRACTICE: "每日练习", QuizKind.EXAM: "考试", QuizKind.CONTEST: "竞答"}


class QuizStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return QUIZ_STATUS_LABELS[self]


QUIZ_STATUS_LABELS = {QuizStatus.DRAFT: "草稿", QuizStatus.PUBLISHED: "已发布", QuizStatus.CLOSED: "已结束"}


class Reveal(enum.StrEnum):
    AFTER_SUBMIT = "after_submit"  # answers and explanations once the member has submitted
    AFTER_CLOSE = "after_close"  # only once the quiz has closed (an exam others are still sitting)

    @property
    def label(self) -> str:
        return REVEAL_LABELS[self]


REVEAL_LABELS = {Reveal.AFTER_SUBMIT: "交卷后公布答案", Reveal.AFTER_CLOSE: "结束后公布答案"}


class AttemptStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class ClosedBy(enum.StrEnum):
    MEMBER = "member"  # the member tapped 交卷
    TIMEOUT = "timeout"  # the time ran out: closed by the periodic job (or on the member's next visit)


CLOSED_BY_LABELS = {ClosedBy.MEMBER: "交卷", ClosedBy.TIMEOUT: "超时自动交卷"}


class QuestionBank(db.Model):
    """A bank of questions kept by an organisation and usable by every quiz in its subtree."""

    __tablename__ = "question_banks"
    __table_args__ = (
        sa.UniqueConstraint("org_id", "name", name="question_banks_one_name_per_org"),
        sa.CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
    )
    __audited__ = True
    __audit_entity__ = "question_bank"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the keeping organisation; quizzes anywhere below it may draw from the bank
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    #: e.g. "党章党规知识题库"
    name: Mapped[str] = mapped_column(sa.String(100))
    #: what it covers
    description: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    #: admin who created it
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: when (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Organisation] = relationship()

    def audit_label(self) -> str:
        return self.name

    def audit_org_id(self) -> int | None:
        return self.org_id


class Question(db.Model):
    """One question. Never deleted once written (attempts point at it); switched off with ``active``."""

    __tablename__ = "questions"
    __table_args__ = (
        sa.CheckConstraint("length(trim(stem)) > 0", name="stem_not_blank"),
        sa.Index("ix_questions_bank_active", "bank_id", "active"),
    )
    __audited__ = True
    __audit_entity__ = "question"
    __audit_ignore__ = ("updated_at",)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the bank it belongs to
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_banks.id", ondelete="RESTRICT"))
    #: single choice, multiple choice or true/false
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind, "question_kind"))
    #: 题干
    stem: Mapped[str] = mapped_column(sa.String(1000))
    #: the options' texts in the order written (2 to 8); empty for true/false
    options: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: the answer key: indexes into ``options`` (true/false: [0] 正确 or [1] 错误); never sent to a member
    #: before they submit
    answer: Mapped[list] = mapped_column(sa.JSON)
    #: 解析, shown with the answers once the quiz allows
    explanation: Mapped[str] = mapped_column(sa.String(2000), default="", server_default="")
    #: short labels, e.g. ["党章", "组织生活"]
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: drawn into new attempts only while true
    active: Mapped[bool] = mapped_column(default=True)
    #: when (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: last change (UTC)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    bank: Mapped[QuestionBank] = relationship()

    def audit_label(self) -> str:
        return self.stem[:60]

    def audit_org_id(self) -> int | None:
        return org_id_of(self, QuestionBank.org_id, self.bank_id)


quiz_banks = sa.Table(
    "quiz_banks",
    db.metadata,
    sa.Column("quiz_id", sa.ForeignKey("quizzes.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("bank_id", sa.ForeignKey("question_banks.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class Quiz(db.Model):
    """A daily practice, an exam or a contest for the members of an organisation's subtree."""

    __tablename__ = "quizzes"
    __table_args__ = (
        sa.CheckConstraint("draw_count >= 1 AND draw_count <= 200", name="draw_count_in_range"),
        sa.CheckConstraint("closes_at IS NULL OR closes_at > opens_at", name="closes_after_opening"),
        sa.CheckConstraint("time_limit_s IS NULL OR time_limit_s > 0", name="time_limit_positive"),
        sa.CheckConstraint("attempts_allowed IS NULL OR attempts_allowed >= 1", name="attempts_positive"),
        sa.CheckConstraint("pass_mark IS NULL OR (pass_mark >= 0 AND pass_mark <= 100)", name="pass_mark_percent"),
        sa.CheckConstraint("per_question_s IS NULL OR per_question_s >= 5", name="per_question_at_least_5s"),
        sa.CheckConstraint("kind <> 'contest' OR per_question_s IS NOT NULL", name="contest_has_per_question"),
        sa.CheckConstraint("kind <> 'exam' OR (time_limit_s IS NOT NULL AND closes_at IS NOT NULL)", name="exam_timed"),
        sa.CheckConstraint("points_per_correct >= 0 AND pass_points >= 0", name="points_not_negative"),
        sa.Index("ix_quizzes_org_status", "org_id", "status"),
    )
    __audited__ = True
    __audit_entity__ = "quiz"
    __audit_collections__ = ("banks",)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the audience: every member in this organisation's subtree
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: practice, exam or contest
    kind: Mapped[QuizKind] = mapped_column(enum_column(QuizKind, "quiz_kind"))
    #: e.g. "2027 年一季度党章党规知识考试"
    title: Mapped[str] = mapped_column(sa.String(100))
    #: shown to members before they start
    description: Mapped[str] = mapped_column(sa.String(1000), default="", server_default="")
    #: questions drawn for each attempt (all of the banks' active questions when they are fewer)
    draw_count: Mapped[int]
    #: attempts may start from (UTC)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: no attempt may start or be answered after (UTC); None: open-ended (a daily practice)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: seconds an attempt may last; None: untimed (practice)
    time_limit_s: Mapped[int | None]
    #: attempts per member; None: any number (practice)
    attempts_allowed: Mapped[int | None]
    #: percent needed to pass; None: no pass mark
    pass_mark: Mapped[int | None]
    #: each attempt shows each question's options in its own order
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    #: contests: seconds for each question, one after another
    per_question_s: Mapped[int | None]
    #: when members see the answers and explanations
    reveal: Mapped[Reveal] = mapped_column(enum_column(Reveal, "quiz_reveal"), default=Reveal.AFTER_SUBMIT)
    #: draft (being built, invisible to members), published, closed
    status: Mapped[QuizStatus] = mapped_column(enum_column(QuizStatus, "quiz_status"), default=QuizStatus.DRAFT)
    #: learning points per correct answer
    points_per_correct: Mapped[int] = mapped_column(default=0, server_default="0")
    #: learning points for passing (exams)
    pass_points: Mapped[int] = mapped_column(default=0, server_default="0")
    #: admin who built it
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: when (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when it was published (UTC)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when an admin closed it early, or the close was recorded (UTC)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organisation] = relationship()
    banks: Mapped[list[QuestionBank]] = relationship(secondary=quiz_banks, order_by="QuestionBank.id")

    def audit_label(self) -> str:
        return self.title

    def audit_org_id(self) -> int | None:
        return self.org_id


class Attempt(db.Model):
    """One member's sitting of a quiz (or a round of practice from their wrong-answer book: no quiz).

    The server keeps the clock: ``deadline_at`` is fixed when the attempt starts, answers are accepted only
    until then, and an attempt left open past it is closed and scored by a periodic job.
    """

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        sa.UniqueConstraint("quiz_id", "member_id", "number", name="quiz_attempts_one_per_number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.CheckConstraint("deadline_at > started_at", name="deadline_after_start"),
        sa.CheckConstraint(
            "(status = 'in_progress') = (submitted_at IS NULL AND closed_by IS NULL AND score IS NULL)",
            name="submitted_is_scored",
        ),
        # At most one open attempt per member and quiz: a second start resumes it.
        sa.Index(
            "uq_quiz_attempts_one_open",
            "quiz_id",
            "member_id",
            unique=True,
            sqlite_where=sa.text("status = 'in_progress'"),
            postgresql_where=sa.text("status = 'in_progress'"),
        ),
        # The closing job's scan: open attempts by deadline.
        sa.Index(
            "ix_quiz_attempts_open_deadline",
            "deadline_at",
            sqlite_where=sa.text("status = 'in_progress'"),
            postgresql_where=sa.text("status = 'in_progress'"),
        ),
        sa.Index("ix_quiz_attempts_quiz_score", "quiz_id", "status", "score"),
        sa.Index("ix_quiz_attempts_member", "member_id", "quiz_id"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the quiz; None for practice from the wrong-answer book
    quiz_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="RESTRICT"))
    #: who sits it
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    #: the member's branch when they started: results per branch stay as they were if the member moves
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: 1 for the member's first attempt at the quiz, 2 for the second…
    number: Mapped[int]
    #: the random seed the draw and the option orders came from (``draw.py``): the paper can be remade
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    #: when it started (UTC, the server's clock)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: no answer is accepted after this (UTC): min(start + time limit, the quiz's close)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: in progress, or submitted (by the member or at the deadline)
    status: Mapped[AttemptStatus] = mapped_column(
        enum_column(AttemptStatus, "attempt_status"), default=AttemptStatus.IN_PROGRESS
    )
    #: when it was submitted or closed (UTC)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the member, or the clock
    closed_by: Mapped[ClosedBy | None] = mapped_column(enum_column(ClosedBy, "attempt_closed_by"))
    #: questions answered right
    correct_count: Mapped[int | None]
    #: questions in the paper
    total: Mapped[int] = mapped_column(default=0)
    #: percent right (practice, exams); contests: correctness and speed (``scoring.py``)
    score: Mapped[int | None]
    #: reached the pass mark; None when the quiz has none
    passed: Mapped[bool | None]
    #: learning points credited for it
    points_awarded: Mapped[int] = mapped_column(default=0, server_default="0")
    #: contests: milliseconds from start to submission, the tie-break after the score
    elapsed_ms: Mapped[int | None]

    quiz: Mapped[Quiz | None] = relationship()


class AttemptItem(db.Model):
    """One question of an attempt, in the order the member sees it, with their answer as they saved it."""

    __tablename__ = "quiz_attempt_items"

    #: the attempt
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempts.id", ondelete="CASCADE"), primary_key=True)
    #: 1-based place in the paper
    position: Mapped[int] = mapped_column(primary_key=True)
    #: the question
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="RESTRICT"), index=True)
    #: displayed position -> written index of each option (true/false: [0, 1])
    option_order: Mapped[list] = mapped_column(sa.JSON)
    #: the member's choice as displayed positions, sorted; None while unanswered
    given: Mapped[list | None] = mapped_column(sa.JSON(none_as_null=True))
    #: when the answer was last saved (UTC)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: set when scored
    correct: Mapped[bool | None]
    #: contests: milliseconds the member took on this question, measured by the server
    ms_taken: Mapped[int | None]


class WrongAnswer(db.Model):
    """错题本: a question a member got wrong, until they answer it right in practice."""

    __tablename__ = "wrong_answers"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "question_id", name="wrong_answers_once_per_question"),
        sa.CheckConstraint("times_wrong >= 1", name="times_wrong_positive"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: whose book
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    #: the question
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    #: how many times they got it wrong
    times_wrong: Mapped[int] = mapped_column(default=1)
    #: the last time (UTC)
    last_wrong_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: answered right in practice since (UTC); None while it is still in the book
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
