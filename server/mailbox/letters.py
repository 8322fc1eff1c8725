"""What the readers of a mailbox do: the queue, one letter, taking it on, replying.

Who reads: an account that may write (a secretary, a general branch's or committee's admin, the
superadmin) whose subtree holds the letter's organisation. A branch secretary therefore reads their
branch's 书记信箱 only; the 党委信箱 (a letter to the top organisation) is read by that committee's admins;
a sibling branch's letter is "missing" (404), like any record outside the scope. A read-only 支部委员
account is refused (403): the letters are addressed to the secretary.

Every query here loads ``Letter`` and, for signed letters only, the signed member; nothing here reads
``letter_authors``, so an anonymous letter has no author to show.

A letter moves received → in hand → replied, nothing else (``TRANSITIONS``). Replying puts the reply in
the writer's inbox and pushes it, after the commit (server/mailbox/delivery.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from server.auth.models import AdminUser
from server.auth.scope import in_scope, require_org, require_write
from server.db import db, utcnow
from server.errors import AppError, NotFound
from server.mailbox.models import LETTER_STATUS_LABELS, TRANSITIONS, Letter, LetterStatus

LETTER_MISSING = "信件不存在"
MAX_REPLY = 2000
PAGE_SIZE = 30


def _refuse_move(letter: Letter, to: LetterStatus) -> AppError:
    return AppError(
        "bad_transition",
        f"这封信{LETTER_STATUS_LABELS[letter.status]}，不能改为“{LETTER_STATUS_LABELS[to]}”，请刷新后查看",
        status=409,
    )


def move(letter: Letter, to: LetterStatus) -> None:
    """Change the status along ``TRANSITIONS``; any other move is refused with the letter unchanged."""
    if to not in TRANSITIONS[letter.status]:
        raise _refuse_move(letter, to)
    letter.status = to


def get_letter(admin: AdminUser, letter_id: int, *, write: bool = False) -> Letter:
    """A letter the admin may read; read-only accounts are refused before anything is looked up."""
    require_write(admin)
    letter = db.session.get(Letter, letter_id)
    if letter is None:
        raise NotFound(LETTER_MISSING)
    require_org(admin, letter.org, missing=LETTER_MISSING)
    return letter


@dataclass(frozen=True)
class Queue:
    letters: list[Letter]
    page: int
    pages: int
    counts: dict[str, int]


def _scoped(admin: AdminUser) -> sa.ColumnElement[bool]:
    return in_scope(Letter.org_id, admin)


def queue(
    admin: AdminUser,
    status: LetterStatus | None = None,
    overdue: bool = False,
    page: int = 1,
    org_id: int | None = None,
) -> Queue:
    """The admin's letters, overdue first, then newest; filtered by status, overdue and organisation."""
    require_write(admin)
    where = [_scoped(admin)]
    if status is not None:
        where.append(Letter.status == status)
    if overdue:
        where += [Letter.overdue_at.is_not(None), Letter.status != LetterStatus.REPLIED]
    if org_id is not None:
        where.append(Letter.org_id == org_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Letter).where(*where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    flagged_first = sa.case(
        (sa.and_(Letter.overdue_at.is_not(None), Letter.status != LetterStatus.REPLIED), 0), else_=1
    )
    rows = db.session.scalars(
        sa.select(Letter)
        .where(*where)
        .options(sa.orm.joinedload(Letter.org), sa.orm.joinedload(Letter.signed_member))
        .order_by(flagged_first, Letter.received_at.desc(), Letter.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return Queue(list(rows), page, pages, counts(admin))


def counts(admin: AdminUser) -> dict[str, int]:
    """Letters by status in the admin's scope, and the overdue ones among the unanswered."""
    rows = db.session.execute(
        sa.select(Letter.status, sa.func.count()).where(_scoped(admin)).group_by(Letter.status)
    ).all()
    found = {status.value: 0 for status in LetterStatus} | {LetterStatus(s).value: n for s, n in rows}
    found["overdue"] = (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Letter)
            .where(_scoped(admin), Letter.overdue_at.is_not(None), Letter.status != LetterStatus.REPLIED)
        )
        or 0
    )
    return found


def take(admin: AdminUser, letter: Letter, now: datetime | None = None) -> Letter:
    """受理: the admin takes the letter on (received → in hand)."""
    move(letter, LetterStatus.IN_HAND)
    letter.taken_at = now or utcnow()
    letter.handler_id = admin.id
    letter.audit_step = "take"
    db.session.flush()
    return letter


def reply(admin: AdminUser, letter: Letter, text: str, now: datetime | None = None) -> Letter:
    """Answer the letter (in hand → replied); the reply reaches the writer's inbox and is pushed after the commit."""
    text = (text or "").strip()
    if not text:
        raise AppError("reply_blank", "请填写回复内容", status=422, fields={"reply": ["请填写回复内容"]})
    if len(text) > MAX_REPLY:
        message = f"回复不能超过 {MAX_REPLY} 字"
        raise AppError("reply_too_long", message, status=422, fields={"reply": [message]})
    if letter.status is LetterStatus.RECEIVED:
        raise AppError("not_taken", "请先点击“受理”，再回复这封信", status=409)
    move(letter, LetterStatus.REPLIED)
    letter.reply = text
    letter.replied_at = now or utcnow()
    letter.replier_id = admin.id
    letter.audit_step = "reply"
    db.session.flush()
    from server.mailbox import delivery

    delivery.deliver_reply(letter)
    return letter
