"""Abuse handling: who wrote a letter, anonymous or not.

Deliberately wired to no route, page, export or job. An operator who must act on a malicious letter
(threats, defamation) reads the author from a shell, under the organisation's procedure:
``flask shell`` → ``from server.mailbox.abuse import author_of``. Every lookup is on the audit trail,
attributed to the system, in the letter's organisation, without the author in it.
"""

from __future__ import annotations

import sqlalchemy as sa

from server.audit.services import record
from server.db import db
from server.mailbox.models import Letter, LetterAuthor
from server.members.models import Member


def author_of(letter_id: int, reason: str) -> Member | None:
    """The member who wrote the letter, for abuse handling only; the lookup and its reason are audited."""
    letter = db.session.get(Letter, letter_id)
    if letter is None:
        return None
    record(
        "letter.author_lookup",
        "letter",
        entity_id=letter.id,
        label=letter.audit_label(),
        org_id=letter.org_id,
        detail={"reason": reason[:200]},
    )
    member_id = db.session.scalar(sa.select(LetterAuthor.member_id).where(LetterAuthor.letter_id == letter_id))
    return db.session.get(Member, member_id) if member_id else None
