"""Who has read and who has acknowledged a notice: the member's side (opening reads it, 确认收到) and the
sender's receipts (counts and the list, live on the receipts page and in the Excel export).

Reading is the inbox row's ``read_at`` (set when the member opens the notice); an acknowledgement is one
``notice_acks`` row, taken after the deadline too but marked late — a member who was on a site without
signal should still be able to say they have it, and the secretary sees that it came late. Reading (for
a notice without 回执) or acknowledging ends what a reminder is for: the member's pushes still waiting
are cancelled at once, so a reminder never reaches someone who has done what it asks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from server.auth.models import AdminUser
from server.auth.scope import in_scope
from server.db import db, utcnow
from server.errors import AppError, NotFound
from server.inbox import services as inbox
from server.inbox.models import InboxItem, InboxKind, Push, PushStatus
from server.inbox.services import insert_ignoring_duplicates
from server.members.models import Member
from server.notices.models import Notice, NoticeAck, NoticeStatus
from server.notices.services import NOTICE_MISSING
from server.orgs.models import Organisation

_pushes = Push.__table__


# --- the member's side ---------------------------------------------------------------------------------------


def for_member(member_id: int, notice_id: int) -> tuple[Notice, InboxItem]:
    """A sent notice in the member's inbox; anything else (not theirs, withdrawn, none) is "missing"."""
    notice = db.session.get(Notice, notice_id)
    item = inbox.find(member_id, InboxKind.NOTICE, notice_id) if notice is not None else None
    if notice is None or item is None or notice.status is not NoticeStatus.SENT:
        raise NotFound(NOTICE_MISSING)
    return notice, item


def _cancel_waiting(notice_id: int, member_id: int, *, first_only: bool, now: datetime) -> None:
    """The member's pushes of the notice not sent yet are cancelled (only the first round's with ``first_only``)."""
    where = [
        _pushes.c.kind == InboxKind.NOTICE,
        _pushes.c.ref_id == notice_id,
        _pushes.c.member_id == member_id,
        _pushes.c.status == PushStatus.PENDING,
    ]
    if first_only:
        where.append(_pushes.c.round == 0)
    db.session.execute(sa.update(_pushes).where(*where).values(status=PushStatus.CANCELLED, updated_at=now))
    # One to be sent again (server/inbox/push.py) is not needed any more: its first call may have arrived.
    where[3] = _pushes.c.status == PushStatus.RESEND
    db.session.execute(sa.update(_pushes).where(*where).values(status=PushStatus.UNCERTAIN, updated_at=now))


def open_notice(member_id: int, notice: Notice, now: datetime | None = None) -> None:
    """The member opened it: read (the first time counts). Without 回执 that is all a reminder asks."""
    now = now or utcnow()
    inbox.mark_read(member_id, InboxKind.NOTICE, notice.id, now)
    # With 回执 the first push is pointless once read, but a reminder (to acknowledge) is still due.
    _cancel_waiting(notice.id, member_id, first_only=notice.ack_required, now=now)


def ack_of(member_id: int, notice_id: int) -> NoticeAck | None:
    return db.session.scalar(
        sa.select(NoticeAck).where(NoticeAck.notice_id == notice_id, NoticeAck.member_id == member_id)
    )


def acknowledge(member_id: int, notice: Notice, now: datetime | None = None) -> NoticeAck:
    """确认收到: once; a second tap answers with the first acknowledgement. Late after the deadline."""
    now = now or utcnow()
    if not notice.ack_required:
        raise AppError("ack_not_required", "这条通知不需要回执", status=409)
    inbox.mark_read(member_id, InboxKind.NOTICE, notice.id, now)
    late = notice.ack_deadline is not None and now > notice.ack_deadline
    table = NoticeAck.__table__
    statement = insert_ignoring_duplicates(table).values(
        notice_id=notice.id, member_id=member_id, acked_at=now, late=late
    )
    db.session.execute(statement.on_conflict_do_nothing())
    _cancel_waiting(notice.id, member_id, first_only=False, now=now)
    return ack_of(member_id, notice.id)  # type: ignore[return-value]


# --- the sender's receipts ---------------------------------------------------------------------------------


class ReceiptState(enum.StrEnum):
    ACKED = "acked"
    READ = "read"
    UNREAD = "unread"


RECEIPT_LABELS = {ReceiptState.ACKED: "已确认", ReceiptState.READ: "已读", ReceiptState.UNREAD: "未读"}


@dataclass(frozen=True)
class Receipt:
    member_id: int
    name: str
    org_name: str
    read_at: datetime | None
    acked_at: datetime | None
    late: bool

    @property
    def state(self) -> ReceiptState:
        if self.acked_at is not None:
            return ReceiptState.ACKED
        return ReceiptState.READ if self.read_at is not None else ReceiptState.UNREAD

    @property
    def label(self) -> str:
        return RECEIPT_LABELS[self.state] + ("（逾期）" if self.late else "")


@dataclass(frozen=True)
class Counts:
    recipients: int
    read: int
    acked: int
    late: int
    #: first-round pushes WeChat accepted, and those of every reminder
    pushed: int
    reminded: int

    @property
    def unread(self) -> int:
        return self.recipients - self.read

    def not_done(self, ack_required: bool) -> int:
        return self.recipients - (self.acked if ack_required else self.read)


def counts(notice: Notice) -> Counts:
    items = InboxItem.__table__.c
    recipients, read = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(items.read_at)).where(
            items.kind == InboxKind.NOTICE, items.ref_id == notice.id
        )
    ).one()
    acked, late = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((NoticeAck.late, 1), else_=0)), 0)).where(
            NoticeAck.notice_id == notice.id
        )
    ).one()
    first = sa.func.coalesce(sa.func.sum(sa.case((_pushes.c.round == 0, 1), else_=0)), 0)
    later = sa.func.coalesce(sa.func.sum(sa.case((_pushes.c.round > 0, 1), else_=0)), 0)
    pushed, reminded = db.session.execute(
        sa.select(first, later).where(
            _pushes.c.kind == InboxKind.NOTICE, _pushes.c.ref_id == notice.id, _pushes.c.status == PushStatus.SENT
        )
    ).one()
    return Counts(recipients, read, acked, int(late), int(pushed), int(reminded))


def receipts(
    admin: AdminUser, notice: Notice, state: ReceiptState | None = None, limit: int | None = None
) -> list[Receipt]:
    """The recipients the admin may see (their scope), not done first, then by organisation and name."""
    items = InboxItem.__table__.c
    ack = sa.orm.aliased(NoticeAck)
    query = (
        sa.select(Member.id, Member.name, Organisation.name, items.read_at, ack.acked_at, ack.late)
        .select_from(InboxItem.__table__)
        .join(Member, Member.id == items.member_id)
        .join(Organisation, Organisation.id == Member.org_id)
        .outerjoin(ack, sa.and_(ack.notice_id == notice.id, ack.member_id == Member.id))
        .where(items.kind == InboxKind.NOTICE, items.ref_id == notice.id, in_scope(Member.org_id, admin))
    )
    if state is ReceiptState.ACKED:
        query = query.where(ack.id.is_not(None))
    elif state is ReceiptState.READ:
        query = query.where(items.read_at.is_not(None), ack.id.is_(None))
    elif state is ReceiptState.UNREAD:
        query = query.where(items.read_at.is_(None))
    done = ack.id.is_not(None) if notice.ack_required else items.read_at.is_not(None)
    query = query.order_by(sa.case((done, 1), else_=0), Organisation.path, Member.name_sort, Member.id)
    if limit is not None:
        query = query.limit(limit)
    return [Receipt(*row) for row in db.session.execute(query).all()]
