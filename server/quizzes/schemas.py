"""Mini-program quizzes: request and answer shapes (the pages are built against these exactly).

No answer shape before submission has a field for the answer key or the explanation: the paper is built
from ``PaperItemSchema``, which cannot carry them. Times are ISO 8601 UTC; ``server_now`` lets the phone's
timer follow the server's clock.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.quizzes.models import MAX_OPTIONS
from server.schema_fields import RecordId

STATES = ["upcoming", "open", "in_progress", "done", "closed"]
KINDS = {"type": "string", "enum": ["practice", "exam", "contest"]}
QUESTION_KINDS = {"type": "string", "enum": ["single", "multiple", "true_false"]}


class QuizListItemSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata=KINDS)
    title = fields.String(required=True)
    description = fields.String(required=True)
    opens_at = fields.DateTime(required=True)
    closes_at = fields.DateTime(required=True, allow_none=True, metadata={"description": "null: open-ended"})
    time_limit_s = fields.Integer(required=True, allow_none=True, metadata={"description": "null: untimed"})
    per_question_s = fields.Integer(required=True, allow_none=True, metadata={"description": "contests only"})
    question_count = fields.Integer(required=True)
    attempts_allowed = fields.Integer(required=True, allow_none=True, metadata={"description": "null: any number"})
    attempts_left = fields.Integer(required=True, allow_none=True, metadata={"description": "null: any number"})
    state = fields.String(
        required=True,
        metadata={
            "type": "string",
            "enum": STATES,
            "description": "upcoming (not open yet), open (may start), in_progress (my attempt is open: resume), "
            "done (no attempts left), closed (over)",
        },
    )
    best_score = fields.Integer(required=True, allow_none=True)
    pass_mark = fields.Integer(required=True, allow_none=True, metadata={"description": "percent; null: none"})


class QuizListSchema(Schema):
    items = fields.List(fields.Nested(QuizListItemSchema), required=True)


class PaperItemSchema(Schema):
    position = fields.Integer(required=True, metadata={"description": "1-based; the path of PUT …/items/<position>"})
    question_id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata=QUESTION_KINDS)
    stem = fields.String(required=True)
    options = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "in this member's order; empty for true_false, shown as 正确 (0) / 错误 (1)"},
    )
    given = fields.List(
        fields.Integer(), required=True, allow_none=True, metadata={"description": "my saved answer; null: none yet"}
    )
    deadline_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "contests: this question's own deadline"}
    )


class AttemptSchema(Schema):
    attempt_id = fields.Integer(required=True)
    quiz_id = fields.Integer(required=True, allow_none=True, metadata={"description": "null: from the 错题本"})
    title = fields.String(required=True)
    kind = fields.String(required=True, metadata=KINDS)
    number = fields.Integer(required=True, metadata={"description": "my 1st, 2nd… attempt"})
    status = fields.String(required=True, metadata={"type": "string", "enum": ["in_progress", "submitted"]})
    started_at = fields.DateTime(required=True)
    deadline_at = fields.DateTime(required=True, metadata={"description": "no answer is accepted after this"})
    server_now = fields.DateTime(required=True, metadata={"description": "the server's clock, for the timer"})
    time_limit_s = fields.Integer(required=True, allow_none=True)
    per_question_s = fields.Integer(required=True, allow_none=True)
    items = fields.List(fields.Nested(PaperItemSchema), required=True)


class SaveAnswerSchema(Schema):
    given = fields.List(
        fields.Integer(validate=validate.Range(min=0, max=MAX_OPTIONS - 1)),
        required=True,
        validate=validate.Length(max=MAX_OPTIONS),
        metadata={"description": "displayed positions chosen; [] clears the answer (not in contests)"},
    )
    ms_taken = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=86_400_000),
        metadata={"description": "what the phone measured; contests are timed by the server"},
    )
    question_id = RecordId(
        load_default=None, allow_none=True, metadata={"description": "the question at this position, checked"}
    )


class SavedSchema(Schema):
    saved = fields.Boolean(required=True)
    answered_at = fields.DateTime(required=True)


class OutcomeSchema(Schema):
    attempt_id = fields.Integer(required=True)
    score = fields.Integer(required=True, metadata={"description": "percent; contests: right and fast points"})
    passed = fields.Boolean(required=True, allow_none=True, metadata={"description": "null: no pass mark"})
    correct = fields.Integer(required=True)
    total = fields.Integer(required=True)
    points_awarded = fields.Integer(required=True)
    reveal = fields.Boolean(
        required=True,
        metadata={"description": "true: the result shows answers and explanations now; false: after the quiz closes"},
    )


class ResultItemSchema(PaperItemSchema):
    answer = fields.List(fields.Integer(), required=True, metadata={"description": "the key, displayed positions"})
    correct = fields.Boolean(required=True)
    explanation = fields.String(required=True)
    deadline_at = fields.DateTime(allow_none=True)


class ResultSchema(OutcomeSchema):
    quiz_id = fields.Integer(required=True, allow_none=True)
    title = fields.String(required=True)
    kind = fields.String(required=True, metadata=KINDS)
    number = fields.Integer(required=True)
    submitted_at = fields.DateTime(required=True)
    closed_by = fields.String(
        required=True,
        metadata={"type": "string", "enum": ["member", "timeout"], "description": "timeout: 超时自动交卷"},
    )
    items = fields.List(
        fields.Nested(ResultItemSchema), required=True, metadata={"description": "empty until revealed"}
    )


class WrongAnswerSchema(Schema):
    question_id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata=QUESTION_KINDS)
    stem = fields.String(required=True)
    options = fields.List(fields.String(), required=True)
    times_wrong = fields.Integer(required=True)
    last_wrong_at = fields.DateTime(required=True)


class WrongBookSchema(Schema):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(WrongAnswerSchema), required=True)


class WrongPracticeSchema(Schema):
    count = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))
