"""A scored attempt's writes on PostgreSQL in one statement: the items marked right or wrong, the wrong-answer
book, the points ledger row and the attempt's score.

:mod:`server.quizzes.scoring` runs them as four statements on SQLite, which has no data-modifying ``WITH``;
on PostgreSQL they are one round trip (a 20,000-member exam spends most of its CPU per statement, not per
row). The parts are those four statements, with the same effect:

- ``correct`` of each item from the string of '1' and '0' by position;
- every question missed goes into the member's book (``times_wrong`` + 1, taken out of it no longer);
  practice answered right takes its questions out of it (the two lists never share a question);
- the ledger row of :func:`server.points.services.ledger_row`, ``ON CONFLICT DO NOTHING`` as ``award`` does;
- the attempt closed (``scoring`` claimed it with its row lock: no UPDATE before this one) with its score
  and the points that insert credited (0 when it credited nothing).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from server.db import DriverStatement, UTCDateTime
from server.points.models import PointsEntry
from server.points.services import LEDGER_COLUMNS

_entries = PointsEntry.__table__

_MARK = "UPDATE quiz_attempt_items SET correct = (substr(:right, position, 1) = '1') WHERE attempt_id = :attempt_id"
_BOOK = (
    "INSERT INTO wrong_answers (member_id, question_id, times_wrong, last_wrong_at)"
    " SELECT :member_id, missed, 1, :now FROM unnest(CAST(:missed AS integer[])) AS missed"
    " ON CONFLICT (member_id, question_id) DO UPDATE SET times_wrong = wrong_answers.times_wrong + 1,"
    " last_wrong_at = excluded.last_wrong_at, cleared_at = NULL"
)
_CLEAR = (
    "UPDATE wrong_answers SET cleared_at = :now WHERE member_id = :member_id"
    " AND question_id = ANY(CAST(:cleared AS integer[])) AND cleared_at IS NULL"
)
_LEDGER = (
    f"INSERT INTO points_entries ({', '.join(LEDGER_COLUMNS)})"
    f" VALUES ({', '.join(':p_' + column for column in LEDGER_COLUMNS)})"
    " ON CONFLICT (member_id, source, ref) DO NOTHING RETURNING points"
)
_SCORE = (
    "UPDATE quiz_attempts SET status = 'submitted', submitted_at = :now, closed_by = :closed_by,"
    " correct_count = :v_correct, total = :v_total, score = :v_score, passed = :v_passed,"
    " points_awarded = {points}, elapsed_ms = :v_elapsed WHERE id = :attempt_id RETURNING points_awarded"
)
_TYPES = (
    sa.bindparam("now", type_=UTCDateTime()),
    sa.bindparam("missed", type_=ARRAY(sa.Integer)),
    sa.bindparam("cleared", type_=ARRAY(sa.Integer)),
    sa.bindparam("right", type_=sa.String),
    sa.bindparam("v_passed", type_=sa.Boolean),
)
_WITHOUT_POINTS = sa.text(
    f"WITH marked AS ({_MARK}), book AS ({_BOOK}), cleared AS ({_CLEAR}) {_SCORE.format(points='0')}"
).bindparams(*_TYPES)
_WITH_POINTS = sa.text(
    f"WITH marked AS ({_MARK}), book AS ({_BOOK}), cleared AS ({_CLEAR}), credited AS ({_LEDGER})"
    f" {_SCORE.format(points='coalesce((SELECT points FROM credited), 0)')}"
).bindparams(*_TYPES, *(sa.bindparam(f"p_{column}", type_=_entries.c[column].type) for column in LEDGER_COLUMNS))


# Run on the driver's own path (``server.db.DriverStatement``), as the claim and the read before them.
_WITHOUT_POINTS_PG = DriverStatement(_WITHOUT_POINTS)
_WITH_POINTS_PG = DriverStatement(_WITH_POINTS)


def write(pg, attempt_id: int, member_id: int, right: str, missed, cleared, ledger, scored: dict, now):
    """Run the four writes on ``pg`` (the session's connection, :func:`server.db.postgresql_connection`);
    returns the points the ledger row credited (None: none were due, or the row was there already)."""
    params = {"attempt_id": attempt_id, "member_id": member_id, "right": right, "now": now}
    params |= {"missed": list(missed), "cleared": list(cleared)} | scored
    if ledger is None:
        _WITHOUT_POINTS_PG.run(pg, params)
        return None
    row = _WITH_POINTS_PG.run(pg, params | {f"p_{key}": value for key, value in ledger.items()}).fetchone()
    return (row[0] if row else None) or None
