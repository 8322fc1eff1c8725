"""Demo mailbox and board of the first project department's branch (shuji1's): an anonymous letter waiting,
a signed one answered (its reply in the member's inbox), one to the committee in hand and flagged overdue,
and a few posts on the branch board, one of them hidden by the secretary."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from server.audit.context import Actor, acting_as
from server.auth.models import AdminUser
from server.db import db, utcnow
from server.inbox import services as inbox
from server.inbox.models import InboxKind
from server.mailbox.member_services import ANONYMOUS_WRITER, mailboxes
from server.mailbox.models import Addressee, BoardPost, Letter, LetterAuthor, LetterStatus, PostStatus
from server.members.models import Member

LETTERS = [
    # (days ago, addressee, anonymous, subject, body, status)
    (
        2,
        Addressee.SECRETARY,
        True,
        "夜班工友的就餐问题",
        "项目部夜班结束已是凌晨，食堂早已关门，工友们只能吃泡面。能否安排夜班加餐或延长食堂开放时间？",
        LetterStatus.RECEIVED,
    ),
    (
        6,
        Addressee.SECRETARY,
        False,
        "建议把党课放到周五下午",
        "周三下午正是混凝土浇筑的高峰，很多党员在现场走不开，建议党课改到周五下午。",
        LetterStatus.REPLIED,
    ),
    (
        10,
        Addressee.COMMITTEE,
        True,
        "分包单位拖欠农民工工资",
        "三号楼劳务分包单位已拖欠两个月工资，工人多次反映无果，请党委督促解决。",
        LetterStatus.IN_HAND,
    ),
]
REPLY = "感谢您的建议。经支委会研究，从下月起支部党课固定在每月第二个周五下午三点，遇浇筑高峰另行通知。"
POSTS = [
    (3, "周六上午在项目部开展义务植树，欢迎党员带家属参加。", PostStatus.VISIBLE),
    (2, "新到的《习近平新时代中国特色社会主义思想学习纲要》放在党员活动室，大家可以借阅。", PostStatus.VISIBLE),
    (1, "这个月的主题党日能不能去革命纪念馆参观？", PostStatus.VISIBLE),
    (1, "（与党务无关的广告）", PostStatus.HIDDEN),
]


def _letter(member: Member, days: int, addressee, anonymous, subject, body) -> Letter:
    boxes = mailboxes(member)
    letter = Letter(
        org_id=(boxes.branch if addressee is Addressee.SECRETARY else boxes.committee).id,
        addressee=addressee,
        subject=subject,
        body=body,
        anonymous=anonymous,
        signed_member_id=None if anonymous else member.id,
        received_at=utcnow() - timedelta(days=days, hours=3),
    )
    with acting_as(ANONYMOUS_WRITER if anonymous else Actor("member", member.id, member.name)):
        db.session.add(letter)
        db.session.flush()
    db.session.add(LetterAuthor(letter_id=letter.id, member_id=member.id))
    return letter


def seed_mailbox() -> None:
    shuji = db.session.scalar(sa.select(AdminUser).where(AdminUser.username == "shuji1"))
    dangwei = db.session.scalar(sa.select(AdminUser).where(AdminUser.username == "dangwei"))
    if shuji is None or dangwei is None:
        return
    members = list(
        db.session.scalars(
            sa.select(Member).where(Member.org_id == shuji.org_id, Member.id != shuji.member_id).order_by(Member.id)
        )
    )[:6]
    for member, (days, addressee, anonymous, subject, body, status) in zip(members, LETTERS, strict=False):
        letter = _letter(member, days, addressee, anonymous, subject, body)
        reader = shuji if addressee is Addressee.SECRETARY else dangwei
        with acting_as(Actor("admin", reader.id, reader.display_name)):
            if status is not LetterStatus.RECEIVED:
                letter.status, letter.taken_at, letter.handler_id = LetterStatus.IN_HAND, letter.received_at, reader.id
                letter.taken_at += timedelta(hours=5)
            if status is LetterStatus.REPLIED:
                letter.status, letter.reply, letter.replier_id = LetterStatus.REPLIED, REPLY, reader.id
                letter.replied_at = letter.received_at + timedelta(days=1, hours=2)
            db.session.flush()
        if status is LetterStatus.REPLIED:
            inbox.deliver(InboxKind.LETTER, letter.id, sa.select(sa.literal(member.id)), now=letter.replied_at)
        if status is LetterStatus.IN_HAND:
            with acting_as(Actor("system", None, "系统")):
                letter.overdue_at = letter.received_at + timedelta(days=7)
                db.session.flush()
    for member, (days, body, status) in zip(members[3:] + members, POSTS, strict=False):
        with acting_as(Actor("member", member.id, member.name)):
            post = BoardPost(
                org_id=member.org_id,
                member_id=member.id,
                body=body,
                status=PostStatus.VISIBLE,
                created_at=utcnow() - timedelta(days=days),
            )
            db.session.add(post)
            db.session.flush()
        if status is PostStatus.HIDDEN:
            with acting_as(Actor("admin", shuji.id, shuji.display_name)):
                post.status, post.moderated_at, post.moderator_id = PostStatus.HIDDEN, utcnow(), shuji.id
                db.session.flush()
