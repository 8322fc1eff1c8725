"""Each member's paper: which questions, in which order, each with its options in which order.

Everything comes from the attempt's seed and the list of candidate questions, so a paper can be made
again to check it (``paper(seed, candidates, ...)`` gives the same answer every time). The items are
stored too (``AttemptItem``): a question switched off later does not change a paper already handed out.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass

from server.quizzes.models import QuestionKind

#: the largest seed stored (a signed 64-bit column)
SEED_BITS = 62


@dataclass(frozen=True)
class Candidate:
    question_id: int
    kind: QuestionKind
    option_count: int


@dataclass(frozen=True)
class PaperItem:
    position: int
    question_id: int
    option_order: list[int]


def new_seed() -> int:
    return secrets.randbits(SEED_BITS)


def option_order(rng: random.Random, candidate: Candidate, shuffle: bool) -> list[int]:
    """Displayed position -> written index. True/false keeps 正确 before 错误; the rest shuffle on request."""
    if candidate.kind is QuestionKind.TRUE_FALSE:
        return [0, 1]
    order = list(range(candidate.option_count))
    if shuffle:
        rng.shuffle(order)
    return order


def paper(seed: int, candidates: list[Candidate], count: int, shuffle_options: bool) -> list[PaperItem]:
    """``count`` of the candidates (all of them when there are fewer), in random order, from ``seed``.

    The candidates are sorted by id first, so the draw does not depend on the order the database
    returned them in.
    """
    rng = random.Random(seed)
    pool = sorted(candidates, key=lambda c: c.question_id)
    chosen = rng.sample(pool, min(count, len(pool)))
    return [
        PaperItem(position, c.question_id, option_order(rng, c, shuffle_options))
        for position, c in enumerate(chosen, start=1)
    ]
