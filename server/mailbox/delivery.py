"""The reply to a letter reaches its writer: an inbox row and a subscribe message (InboxKind.LETTER).

Who the writer is comes from ``letter_authors`` inside one INSERT … SELECT: the id never leaves the
database, and neither the reply's inbox row nor its push names the letter's author anywhere a reader can
look (the push engine's pages count pushes, they do not list them).

This module also tells the inbox how to list a reply and what its push says.
"""

from __future__ import annotations

import sqlalchemy as sa

from server.db import db
from server.inbox import push
from server.inbox import services as inbox
from server.inbox.models import InboxKind
from server.inbox.sources import Entry, PushMessage, Source, register
from server.mailbox.models import ADDRESSEE_LABELS, Letter, LetterAuthor, LetterStatus
from server.orgs.models import Organisation
from server.timezone import to_local
from server.wechat import subscribe

PURPOSE = "letter_reply"


def _writer(letter_id: int) -> sa.Select:
    return sa.select(LetterAuthor.member_id).where(LetterAuthor.letter_id == letter_id)


def deliver_reply(letter: Letter) -> None:
    """The reply in the writer's inbox and, with their consent, pushed (queued after the commit)."""
    inbox.deliver(InboxKind.LETTER, letter.id, _writer(letter.id), now=letter.replied_at)
    template = subscribe.template(PURPOSE)
    if template is None:
        return
    # not urgent: a reply written at 23:00 waits for the end of the quiet hours, as the newspaper does
    due = push.not_before(False, letter.replied_at)
    push.create(
        InboxKind.LETTER, letter.id, 0, template["template_id"], _writer(letter.id), due=due, now=letter.replied_at
    )
    from server.inbox.tasks import start

    start(InboxKind.LETTER, letter.id, 0, due)


def _visible(ref_id: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    return ref_id.in_(sa.select(Letter.id).where(Letter.status == LetterStatus.REPLIED))


def _describe(letter_ids: list[int]) -> dict[int, Entry]:
    rows = db.session.execute(
        sa.select(Letter.id, Letter.subject, Letter.addressee, Organisation.name)
        .join(Organisation, Organisation.id == Letter.org_id)
        .where(Letter.id.in_(letter_ids))
    ).all()
    return {
        row.id: Entry(f"回复：{row.subject}", f"{ADDRESSEE_LABELS[row.addressee]} · {row.name}", None) for row in rows
    }


def _message(letter_id: int) -> PushMessage | None:
    letter = db.session.get(Letter, letter_id)
    template = subscribe.template(PURPOSE)
    if letter is None or letter.status is not LetterStatus.REPLIED or template is None:
        return None
    values = {"subject": letter.subject, "replied_at": to_local(letter.replied_at), "org_name": letter.org.name}
    return PushMessage(template, values, f"{template['page']}?id={letter.id}")


register(Source(InboxKind.LETTER, visible=_visible, describe=_describe, message=_message))
