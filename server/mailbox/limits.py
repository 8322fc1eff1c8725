"""How many letters and board posts a member may write a day, counted by the project's rate limiter.

The counts live in the limiter's storage (Redis in production, so every web machine counts alike; memory
in the embedded default). Only what was accepted counts: a letter refused for a blank subject costs
nothing. The window is a moving 24 hours, and the refusal says so in words a member understands.
"""

from __future__ import annotations

import logging

from flask import current_app
from limits import parse

from server.errors import AppError
from server.extensions import limiter

log = logging.getLogger(__name__)

#: defaults; a deployment may set MAILBOX_LETTERS_PER_DAY and BOARD_POSTS_PER_DAY
LETTERS_PER_DAY = 5
POSTS_PER_DAY = 10


def _spend(kind: str, per_day: int, member_id: int, refusal: str) -> None:
    try:
        allowed = limiter.limiter.hit(parse(f"{per_day}/day"), f"mailbox-{kind}", str(member_id))
    except limiter.storage.base_exceptions:
        log.exception("rate limit storage unavailable: %s of member %s not counted", kind, member_id)
        return
    if not allowed:
        raise AppError(f"{kind}_limit", refusal, status=429)


def spend_letter(member_id: int) -> None:
    per_day = current_app.config.get("MAILBOX_LETTERS_PER_DAY", LETTERS_PER_DAY)
    _spend("letter", per_day, member_id, f"24 小时内最多写 {per_day} 封信，您已写满，请明天再写")


def spend_post(member_id: int) -> None:
    per_day = current_app.config.get("BOARD_POSTS_PER_DAY", POSTS_PER_DAY)
    _spend("post", per_day, member_id, f"24 小时内最多留言 {per_day} 条，您已达到上限，请明天再来")
