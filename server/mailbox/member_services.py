"""What a member does with the mailbox: write a letter, list their letters, read one with its reply.

These are the only functions besides server/mailbox/abuse.py that read ``letter_authors``, and only for
the member's own letters. Writing an anonymous letter is put on the audit trail as an anonymous member
(no id, no name, no address), so the trail that readers see does not name the writer either.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from server.audit.context import Actor, acting_as
from server.db import db, utcnow
from server.errors import AppError, NotFound
from server.inbox import services as inbox
from server.inbox.models import InboxKind
from server.mailbox import limits
from server.mailbox.models import Addressee, Letter, LetterAuthor
from server.members.models import Member
from server.orgs.models import Organisation
from server.orgs.services import get_org

LETTER_MISSING = "信件不存在"
#: who an anonymous letter is attributed to on the audit trail
ANONYMOUS_WRITER = Actor("member", None, "匿名来信人")
#: told on the form, and in the API's description of ``anonymous``
ANONYMITY_NOTE = "勾选后，阅信人看不到您的姓名；系统仍保存写信人，仅用于处理恶意信件。"
NO_MAILBOX = "您所在的组织暂未开通信箱，请联系支部书记"


@dataclass(frozen=True)
class Mailboxes:
    branch: Organisation
    committee: Organisation


def mailboxes(member: Member) -> Mailboxes:
    """The member's two mailboxes: their branch's secretary and the top organisation of their tree."""
    branch = member.org
    top_id = int((branch.path or "").strip("/").split("/")[0])
    return Mailboxes(branch, get_org(top_id))


def write(member: Member, addressee: Addressee, subject: str, body: str, anonymous: bool) -> Letter:
    """A new letter to the member's branch secretary or committee; counted against the daily limit."""
    boxes = mailboxes(member)
    org = boxes.branch if addressee is Addressee.SECRETARY else boxes.committee
    if org.dissolved_at is not None:
        raise AppError("no_mailbox", NO_MAILBOX)
    limits.spend_letter(member.id)
    letter = Letter(
        org_id=org.id,
        addressee=addressee,
        subject=subject,
        body=body,
        anonymous=anonymous,
        signed_member_id=None if anonymous else member.id,
        received_at=utcnow(),
    )
    if anonymous:
        with acting_as(ANONYMOUS_WRITER):
            db.session.add(letter)
            db.session.flush()  # the audit entry is written in this flush, under the anonymous actor
    else:
        db.session.add(letter)
        db.session.flush()
    db.session.add(LetterAuthor(letter_id=letter.id, member_id=member.id))
    db.session.flush()
    return letter


def _mine(member_id: int) -> sa.Select:
    return (
        sa.select(Letter)
        .join(LetterAuthor, LetterAuthor.letter_id == Letter.id)
        .where(LetterAuthor.member_id == member_id)
    )


def my_letters(member_id: int, limit: int = 50) -> list[Letter]:
    """The member's letters, newest first."""
    query = _mine(member_id).options(sa.orm.joinedload(Letter.org))
    return list(db.session.scalars(query.order_by(Letter.received_at.desc(), Letter.id.desc()).limit(limit)))


def my_letter(member_id: int, letter_id: int) -> Letter:
    """One of the member's letters; anyone else's is "missing". Opening it marks its reply read."""
    letter = db.session.scalar(_mine(member_id).where(Letter.id == letter_id))
    if letter is None:
        raise NotFound(LETTER_MISSING)
    inbox.mark_read(member_id, InboxKind.LETTER, letter.id)
    return letter
