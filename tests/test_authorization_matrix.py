"""Every route of the app against every role, inside and outside each caller's scope.

The table below declares, for each endpoint and method in the app's URL map, what each role gets; the
test walks the URL map, so a route missing from the table fails and no new route can skip this. Path
parameters are filled with objects of branch 甲一 (side "a") and of branch 乙一 under the other general
branch (side "b"). The rules (server/auth/scope.py):

- not logged in: the admin login page (pages) or 401 (API); an admin session is not a bearer token;
- an object outside the caller's scope: 404, the same answer to the letter as for a missing record;
- inside the scope but the role may not do it (the read-only 支部委员 account, an ordinary member in
  secretary mode): 403.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image

from server.auth.member_services import _start_session
from server.auth.models import AdminUser, Role
from server.auth.passwords import hash_password
from server.birthdays.dates import birthday_in
from server.birthdays.models import BirthdayGreeting
from server.db import db, utcnow
from server.dues.bills import generate_bills, mark_bills_paid
from server.dues.ledger_models import DuesRemittance
from server.dues.models import DuesBill
from server.dues.months import add_months, current_month
from server.dues.payment_models import Channel, DuesPayment, DuesPaymentBill, PayerKind, PaymentStatus
from server.dues.rules import ensure_rules_2008
from server.inbox import services as inbox
from server.inbox.models import InboxKind
from server.mailbox.models import Addressee, BoardPost, Letter, LetterAuthor, LetterStatus, PostStatus
from server.meetings.models import LeaveRequest, Meeting, MeetingKind, Minutes, MinutesPhoto
from server.members.models import ImportStatus, MemberImport
from server.newspaper import audience
from server.newspaper.models import IssueStatus, Narrowing, NewsArticle, NewsAudience, NewsIssue
from server.orgs.models import Organisation
from tests.conftest import PASSWORD, AdminBrowser
from tests.database import Snapshot
from tests.notices import factories as notices
from tests.quizzes.factories import matrix_objects

ANONYMOUS = "anonymous"
MEMBER_A = "member_a"  # a member of the meeting's branch 甲一, in its party group
MEMBER_B = "member_b"  # a member of 乙一, under the other general branch
SECRETARY_PHONE = "secretary_phone"  # 甲一's secretary on the mini-program (member linked to the account)
SECRETARY = "secretary"  # 甲一's secretary in the admin
SIBLING = "sibling_secretary"  # 甲二's secretary: same general branch, other branch
GENERAL = "general_admin"  # 甲党总支's admin
READER = "committee_reader"  # 甲一's read-only 支部委员 account
SUPERADMIN = "superadmin"

PHONES = (MEMBER_A, MEMBER_B, SECRETARY_PHONE)
ADMINS = (SECRETARY, SIBLING, GENERAL, READER, SUPERADMIN)
ROLES = (ANONYMOUS, *PHONES, *ADMINS)
#: admin roles that may see each side's objects
SEES = {"a": {SECRETARY, GENERAL, READER, SUPERADMIN}, "b": {SUPERADMIN}}
#: usernames of the admin roles, and of the owner of side b's import (a secretary of 乙一)
USERNAMES = {SECRETARY: "shuji", SIBLING: "jiaer", GENERAL: "zongzhi", READER: "weiyuan", SUPERADMIN: "root"}

OK, LOGIN, E401, E403, E404, ANY = "ok", "login", "401", "403", "404", "any"


# ---------------------------------------------------------------------------------------------------
# The world: two branches' worth of objects, rebuilt with the same ids whenever a write changed it


@dataclass
class World:
    orgs: dict[str, int] = field(default_factory=dict)
    members: dict[str, int] = field(default_factory=dict)
    meetings: dict[str, int] = field(default_factory=dict)
    leaves: dict[str, int] = field(default_factory=dict)
    photos: dict[str, int] = field(default_factory=dict)
    imports: dict[str, int] = field(default_factory=dict)
    bills: dict[str, int] = field(default_factory=dict)
    remittances: dict[str, int] = field(default_factory=dict)
    #: "wechat-a", "cash-b", …: a paid payment of each channel for the member of each side
    payments: dict[str, int] = field(default_factory=dict)
    #: newspaper issues of each side at each step: "draft-a", "submitted-b", "approved-a", "published-b", …
    issues: dict[str, int] = field(default_factory=dict)
    #: the article of each side's draft issue ("a", "b") and of its published one ("published-a", …)
    articles: dict[str, int] = field(default_factory=dict)
    #: each side's quiz objects: its bank, a question, a published exam, a draft, its member's open attempt
    quizzes: dict[str, dict[str, int]] = field(default_factory=dict)
    #: each side's member's political birthday greeting, in their inbox
    greetings: dict[str, int] = field(default_factory=dict)
    #: each side's letters to its branch secretary, written by its member: "received-a", "in_hand-b", …
    letters: dict[str, int] = field(default_factory=dict)
    #: each side's board post, by its member
    posts: dict[str, int] = field(default_factory=dict)
    #: each side's notices: "sent-a" (with 回执 and an attachment, in its branch's inboxes), "pending-a" (awaiting
    #: review, written by another account of the branch)
    notices: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _meeting(organiser, participants, *, title: str) -> Meeting:
    """A meeting under way (started ten minutes ago, check-in open), straight into the table."""
    starts = utcnow() - timedelta(minutes=10)
    meeting = Meeting(
        kind=MeetingKind.THEME_DAY,
        title=title,
        organiser=organiser,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="会议室",
        checkin_opens_at=starts - timedelta(minutes=30),
        checkin_closes_at=starts + timedelta(hours=2),
        code_secret="matrix-secret",
    )
    meeting.participant_orgs = list(participants)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def build_world(tree_builder, make_member, password_hash: str) -> World:
    world = World()
    tree = tree_builder()
    world.orgs = {key: org.id for key, org in tree.items()}
    a_member = make_member(tree["a1"], "甲一党员", group_id=tree["a1_group"].id)
    b_member = make_member(tree["b1"], "乙一党员")
    secretary_member = make_member(tree["a1"], "甲一书记")
    world.members = {"a": a_member.id, "b": b_member.id, "secretary": secretary_member.id}
    accounts = [
        (USERNAMES[SECRETARY], Role.SECRETARY, tree["a1"], secretary_member.id),
        (USERNAMES[SIBLING], Role.SECRETARY, tree["a2"], None),
        (USERNAMES[GENERAL], Role.ORG_ADMIN, tree["general_a"], None),
        (USERNAMES[READER], Role.COMMITTEE, tree["a1"], None),
        (USERNAMES[SUPERADMIN], Role.SUPERADMIN, None, None),
        ("yishuji", Role.SECRETARY, tree["b1"], None),
        ("bianji", Role.SECRETARY, tree["a1"], None),  # writes 甲一's newspaper issue awaiting review
    ]
    admins = {}
    for username, role, org, member_id in accounts:
        admins[username] = AdminUser(
            username=username,
            password_hash=password_hash,  # the same hash every time, so logged-in sessions stay valid
            display_name=username,
            role=role,
            org=org,
            member_id=member_id,
        )
        db.session.add(admins[username])
    db.session.flush()
    for side, branch, member in (("a", tree["a1"], a_member), ("b", tree["b1"], b_member)):
        meeting = _meeting(branch, [branch], title=f"{branch.name}主题党日")
        world.meetings[side] = meeting.id
        leave = LeaveRequest(meeting_id=meeting.id, member_id=member.id, reason="出差")
        minutes = Minutes(meeting_id=meeting.id, org_id=branch.id, topic="学习", content="内容", decisions="")
        db.session.add_all([leave, minutes])
        db.session.flush()
        data = _png()
        photo = MinutesPhoto(
            minutes_id=minutes.id,
            filename="p.png",
            content_type="image/png",
            size=len(data),
            sha256="0" * 64,
            data=data,
        )
        owner = admins["shuji" if side == "a" else "yishuji"]
        job = MemberImport(
            created_by_id=owner.id, scope_org_id=branch.id, filename="名册.xlsx", status=ImportStatus.DONE
        )
        db.session.add_all([photo, job])
        db.session.flush()
        world.leaves[side], world.photos[side], world.imports[side] = leave.id, photo.id, job.id
    ensure_rules_2008()
    generate_bills(current_month(), member_ids=[a_member.id, b_member.id])
    for side, member in (("a", a_member), ("b", b_member)):
        world.bills[side] = db.session.scalar(sa.select(DuesBill.id).where(DuesBill.member_id == member.id))
    for side, key in (("a", "a1"), ("b", "b1")):
        month = add_months(current_month(), -1)
        remittance = DuesRemittance(
            from_org_id=tree[key].id, to_org_id=tree[key].parent_id, first_month=month, last_month=month, amount_fen=100
        )
        db.session.add(remittance)
        db.session.flush()
        world.remittances[side] = remittance.id
    for side, member in (("a", a_member), ("b", b_member)):
        world.payments[f"wechat-{side}"] = _paid(member, Channel.WECHAT, [])
        generate_bills(add_months(current_month(), -1), member_ids=[member.id])
        last_month = db.session.scalar(
            sa.select(DuesBill).where(DuesBill.member_id == member.id, DuesBill.month < current_month())
        )
        world.payments[f"cash-{side}"] = _paid(member, Channel.CASH, [last_month])
    for side, branch, member, author in (("a", tree["a1"], a_member, "shuji"), ("b", tree["b1"], b_member, "yishuji")):
        _newspaper(world, side, branch, member, admins[author], admins["bianji" if side == "a" else author])
    for side, branch, member in (("a", tree["a1"], a_member), ("b", tree["b1"], b_member)):
        world.quizzes[side] = matrix_objects(branch, member)
        _mailbox(world, side, branch, member)
    for side, branch, author, other in (("a", tree["a1"], "shuji", "bianji"), ("b", tree["b1"], "yishuji", "yishuji")):
        world.notices[f"sent-{side}"] = notices.sent_notice(branch, admins[author]).id
        world.notices[f"pending-{side}"] = notices.pending_notice(branch, admins[other]).id
    for side, member in (("a", a_member), ("b", b_member)):
        world.greetings[side] = _greeting(member)
    for role, member in ((MEMBER_A, a_member), (MEMBER_B, b_member), (SECRETARY_PHONE, secretary_member)):
        # shaped like WeChat's (28 characters): WeChat Pay refuses an order for anything else
        world.tokens[role] = _start_session(member, f"o-matrix-{role}".ljust(28, "x")).token
    db.session.commit()
    return world


def _newspaper(world: World, side: str, branch: Organisation, member, author: AdminUser, other: AdminUser) -> None:
    """The branch's newspaper issues at each step, each with one article and the branch as its audience; the
    issue awaiting review is by ``other``, so that the branch's secretary may review it."""
    steps = (
        ("draft", IssueStatus.DRAFT, author),
        ("submitted", IssueStatus.SUBMITTED, other),
        ("approved", IssueStatus.APPROVED, author),
        ("published", IssueStatus.PUBLISHED, author),
    )
    now = utcnow()
    for number, (step, status, writer) in enumerate(steps, start=1):
        published = now if status is IssueStatus.PUBLISHED else None
        issue = NewsIssue(
            org=branch,
            number=number,
            title=f"{branch.name}手机报",
            status=status,
            author_id=writer.id,
            submitted_at=None if status is IssueStatus.DRAFT else now,
            published_at=published,
            delivered_at=published,
        )
        issue.articles = [NewsArticle(position=1, title="安全生产", summary="摘要", body_html="<p>正文</p>")]
        issue.audiences = [NewsAudience(org=branch, narrowing=Narrowing.ALL)]
        db.session.add(issue)
        db.session.flush()
        world.issues[f"{step}-{side}"] = issue.id
        if step == "draft":
            world.articles[side] = issue.articles[0].id
        if step == "published":
            world.articles[f"published-{side}"] = issue.articles[0].id
        if published:  # in the inbox of every member of the branch, the secretary's phone among them
            inbox.deliver(InboxKind.NEWSPAPER, issue.id, audience.recipients(issue), now=now)


def _greeting(member) -> int:
    """This year's political birthday greeting of ``member``, delivered to their inbox."""
    year = utcnow().year
    greeting = BirthdayGreeting(
        member_id=member.id,
        year=year,
        join_date=member.join_date,
        years=year - member.join_date.year,
        greeted_on=birthday_in(member.join_date, year),
    )
    db.session.add(greeting)
    db.session.flush()
    inbox.deliver(InboxKind.BIRTHDAY, greeting.id, sa.select(sa.literal(member.id)), now=utcnow())
    return greeting.id


def _mailbox(world: World, side: str, branch: Organisation, member) -> None:
    """A letter to the branch's secretary waiting to be taken on, one in hand, and a post on the board."""
    for status in (LetterStatus.RECEIVED, LetterStatus.IN_HAND):
        letter = Letter(
            org_id=branch.id,
            addressee=Addressee.SECRETARY,
            subject="矩阵来信",
            body="内容",
            anonymous=True,
            status=status,
            taken_at=utcnow() if status is LetterStatus.IN_HAND else None,
        )
        db.session.add(letter)
        db.session.flush()
        db.session.add(LetterAuthor(letter_id=letter.id, member_id=member.id))
        world.letters[f"{status.value}-{side}"] = letter.id
    post = BoardPost(org_id=branch.id, member_id=member.id, body="矩阵留言", status=PostStatus.VISIBLE)
    db.session.add(post)
    db.session.flush()
    world.posts[side] = post.id


def _paid(member, channel, bills) -> int:
    """A paid payment of ``bills`` (none: a WeChat payment whose refund WeChat will refuse, harmlessly)."""
    payment = DuesPayment(
        out_trade_no=f"M{channel.value[:1].upper()}{member.id:08d}",
        member_id=member.id,
        org_id=member.org_id,
        payer_kind=PayerKind.SELF,
        payer_name=member.name,
        channel=channel,
        status=PaymentStatus.PAID,
        amount_fen=sum(bill.amount_fen for bill in bills) or 100,
        extra_fen=0,
        receipt_no=None if channel is Channel.WECHAT else "R0001",
        paid_at=utcnow(),
    )
    payment.lines = [DuesPaymentBill(bill_id=b.id, month=b.month, amount_fen=b.amount_fen) for b in bills]
    db.session.add(payment)
    db.session.flush()
    mark_bills_paid([b.id for b in bills], payment.id)
    return payment.id


# ---------------------------------------------------------------------------------------------------
# Expected answers


def _in_scope(role: str, side: str) -> bool:
    return role in SEES[side]


def public(role: str, side: str) -> str:
    return ANY


def admin_page(role: str, side: str) -> str:
    return LOGIN if role not in ADMINS else OK


def writer_page(role: str, side: str) -> str:
    if role not in ADMINS:
        return LOGIN
    return E403 if role == READER else OK


def admin_read(role: str, side: str) -> str:
    if role not in ADMINS:
        return LOGIN
    return OK if _in_scope(role, side) else E404


def admin_write(role: str, side: str) -> str:
    if role not in ADMINS:
        return LOGIN
    if role == READER:
        return E403  # read-only accounts are refused before anything is looked up
    return OK if _in_scope(role, side) else E404


def own_import(role: str, side: str) -> str:
    """An import's progress is shown to the account that uploaded it."""
    if role not in ADMINS:
        return LOGIN
    if role == READER:
        return E403
    return OK if (role, side) == (SECRETARY, "a") else E404


def superadmin_write(role: str, side: str) -> str:
    """Only the superadmin may (the national rules); every other account gets 403."""
    if role not in ADMINS:
        return LOGIN
    return OK if role == SUPERADMIN else E403


def api_member(role: str, side: str) -> str:
    return OK if role in PHONES else E401


def api_own_bill(role: str, side: str) -> str:
    """Paying a bill: the member whose bill it is; any other member is told it does not exist."""
    if role not in PHONES:
        return E401
    return OK if (role, side) in {(MEMBER_A, "a"), (MEMBER_B, "b")} else E404


def finance_write(role: str, side: str) -> str:
    """Refunds: a finance admin (here the superadmin) in scope; other writers in scope 403, outside 404."""
    if role not in ADMINS:
        return LOGIN
    if role == READER:
        return E403
    if not _in_scope(role, side):
        return E404
    return OK if role == SUPERADMIN else E403


def refused_without_signature(role: str, side: str) -> str:
    """WeChat Pay's notify URL: whoever posts, without WeChat's signature it is refused (401)."""
    return E401


def _takes_part(role: str, side: str) -> bool:
    return (role, side) in {(MEMBER_A, "a"), (SECRETARY_PHONE, "a"), (MEMBER_B, "b")}


def api_meeting(role: str, side: str) -> str:
    """A meeting the member takes part in or runs check-in for."""
    if role not in PHONES:
        return E401
    return OK if _takes_part(role, side) else E404


def api_recipient(role: str, side: str) -> str:
    """A newspaper issue and its articles: the members it was delivered to (their branch's); others "missing"."""
    return api_meeting(role, side)


def api_meeting_secretary(role: str, side: str) -> str:
    """Secretary mode on a meeting: the secretary may; a participant without the power gets 403."""
    if role not in PHONES:
        return E401
    if not _takes_part(role, side):
        return E404
    return OK if role == SECRETARY_PHONE else E403


def api_audience(role: str, side: str) -> str:
    """A quiz of a branch: its members (the secretary at the phone is one); any other member is told it
    does not exist."""
    return api_meeting(role, side)


def api_own(role: str, side: str) -> str:
    """A member's own attempt: any other member is told it does not exist."""
    return api_own_bill(role, side)


def notice_review(role: str, side: str) -> str:
    """Review of a notice: an admin of a higher organisation (甲党总支's, the superadmin); the branch's own
    secretary sees it but may not (403); outside the scope it is missing."""
    if role not in ADMINS:
        return LOGIN
    if role == READER:
        return E403
    if not _in_scope(role, side):
        return E404
    return E403 if role == SECRETARY else OK


def committee_rules_read(role: str, side: str) -> str:
    """The committee's notice rules: only whoever administers the committee (here the superadmin)."""
    if role not in ADMINS:
        return LOGIN
    return OK if role == SUPERADMIN else E404


def committee_rules_write(role: str, side: str) -> str:
    if role == READER:
        return E403
    return committee_rules_read(role, side)


def api_secretary(role: str, side: str) -> str:
    if role not in PHONES:
        return E401
    return OK if role == SECRETARY_PHONE else E403


# ---------------------------------------------------------------------------------------------------
# The table: endpoint and method → how to call it and what each role gets


@dataclass(frozen=True)
class Call:
    rule: Callable[[str, str], str]
    path: Callable[[World, str], str]
    data: Callable[[World, str], dict[str, Any]] | None = None
    sides: tuple[str, ...] = ("a", "b")


def _m(w: World, s: str) -> str:
    return f"/admin/meetings/{w.meetings[s]}"


def _mb(w: World, s: str) -> str:
    return f"/admin/members/{w.members[s]}"


def _api(w: World, s: str) -> str:
    return f"/api/meetings/{w.meetings[s]}"


def _fixed(path: str) -> Callable[[World, str], str]:
    return lambda w, s: path


def _form(w: World, s: str) -> dict[str, Any]:
    branch = w.orgs["a1" if s == "a" else "b1"]
    day = (utcnow() + timedelta(days=3)).date().isoformat()
    return {"kind": "theme_day", "title": "矩阵会议", "organiser_id": branch, "participant_ids": [branch]} | {
        "day": day,
        "starts": "09:00",
        "ends": "10:00",
        "place": "会议室",
    }


def _member_form(w: World, s: str) -> dict[str, Any]:
    return {"name": "新党员", "gender": "male", "status": "full", "dues_category": "employed"} | {
        "join_date": "2005-07-01",
        "full_member_date": "2006-07-01",
        "org_id": w.orgs["a1" if s == "a" else "b1"],
    }


def _xlsx() -> dict[str, Any]:
    return {"file": (io.BytesIO(b"PK\x03\x04 not really"), "名册.xlsx")}


ONE = ("a",)


def _branch(w: World, s: str) -> int:
    return w.orgs["a1" if s == "a" else "b1"]


def _news(step: str, tail: str = "") -> Callable[[World, str], str]:
    """The path of a side's newspaper issue at ``step``, with ``tail``."""
    return lambda w, s: f"/admin/newspaper/{w.issues[f'{step}-{s}']}{tail}"


def _news_article(tail: str = "") -> Callable[[World, str], str]:
    return lambda w, s: f"/admin/newspaper/articles/{w.articles[s]}{tail}"


class _Rewinding(io.BytesIO):
    """An upload that can be posted twice (the call, then its missing twin): closing rewinds it instead."""

    def close(self) -> None:
        self.seek(0)


def _news_article_form(w: World, s: str) -> dict[str, Any]:
    return {"title": "改过的文章", "summary": "摘要", "body_html": "<p>正文</p>"}


TABLE: dict[tuple[str, str], Call] = {
    # public
    ("root.home", "GET"): Call(public, _fixed("/"), sides=ONE),
    ("root.healthz", "GET"): Call(public, _fixed("/healthz"), sides=ONE),
    ("observability.livez", "GET"): Call(public, _fixed("/livez"), sides=ONE),
    ("observability.readyz", "GET"): Call(public, _fixed("/readyz"), sides=ONE),
    # Open to whoever connects straight from loopback (the test client does), whatever session or token it
    # holds; from elsewhere, or relayed by a proxy, 404 (tests/observability/test_metrics.py).
    ("observability.scrape", "GET"): Call(public, _fixed("/metrics"), sides=ONE),
    ("static", "GET"): Call(public, _fixed("/static/none.css"), sides=ONE),
    ("assets.static", "GET"): Call(public, _fixed("/static/app/admin.css"), sides=ONE),
    ("assets.vendor", "GET"): Call(public, _fixed("/static/vendor/htmx.min.js"), sides=ONE),
    ("api-docs.openapi_json", "GET"): Call(public, _fixed("/api/openapi.json"), sides=ONE),
    ("checkin_link.landing", "GET"): Call(public, _fixed("/m/checkin?c=M1.x"), sides=ONE),
    # the newspaper's images: loaded by the phone without a token, protected by their random names
    ("news_media.image", "GET"): Call(public, _fixed(f"/media/news/{'0' * 32}.jpg"), sides=ONE),
    ("auth.login", "GET"): Call(public, _fixed("/admin/login"), sides=ONE),
    ("auth.login", "POST"): Call(public, _fixed("/admin/login"), lambda w, s: {"username": "x", "password": "y"}, ONE),
    ("auth.logout", "POST"): Call(public, _fixed("/admin/logout"), lambda w, s: {}, ONE),
    ("auth_api.login", "POST"): Call(public, _fixed("/api/auth/login"), lambda w, s: {"code": "bad"}, ONE),
    ("auth_api.bind_phone", "POST"): Call(
        public, _fixed("/api/auth/bind/phone"), lambda w, s: {"bind_ticket": "x", "phone_code": "y"}, ONE
    ),
    ("auth_api.bind_invite", "POST"): Call(
        public, _fixed("/api/auth/bind/invite"), lambda w, s: {"bind_ticket": "x", "invite_code": "y", "name": "z"}, ONE
    ),
    # the admin: pages of one's own scope
    ("admin.dashboard", "GET"): Call(admin_page, _fixed("/admin/"), sides=ONE),
    ("admin.audit_log", "GET"): Call(admin_page, _fixed("/admin/audit"), sides=ONE),
    ("admin.audit_export", "GET"): Call(admin_page, _fixed("/admin/audit/export.xlsx"), sides=ONE),
    ("orgs.tree", "GET"): Call(admin_page, _fixed("/admin/orgs/"), sides=ONE),
    ("members.index", "GET"): Call(admin_page, _fixed("/admin/members/"), sides=ONE),
    ("members.export", "GET"): Call(admin_page, _fixed("/admin/members/export.xlsx"), sides=ONE),
    ("meetings.index", "GET"): Call(admin_page, _fixed("/admin/meetings/"), sides=ONE),
    ("meetings.calendar_view", "GET"): Call(admin_page, _fixed("/admin/meetings/calendar"), sides=ONE),
    ("meetings.compliance_page", "GET"): Call(admin_page, _fixed("/admin/meetings/compliance"), sides=ONE),
    ("meetings.compliance_export", "GET"): Call(admin_page, _fixed("/admin/meetings/compliance.xlsx"), sides=ONE),
    ("meetings.attendance_page", "GET"): Call(admin_page, _fixed("/admin/meetings/attendance"), sides=ONE),
    ("meetings.attendance_export", "GET"): Call(admin_page, _fixed("/admin/meetings/attendance.xlsx"), sides=ONE),
    ("meetings.verify", "GET"): Call(admin_page, _fixed("/admin/meetings/verify"), sides=ONE),
    ("members.create", "GET"): Call(writer_page, _fixed("/admin/members/new"), sides=ONE),
    ("members.import_form", "GET"): Call(writer_page, _fixed("/admin/members/import"), sides=ONE),
    ("members.import_template", "GET"): Call(writer_page, _fixed("/admin/members/import/template.xlsx"), sides=ONE),
    ("members.import_upload", "POST"): Call(writer_page, _fixed("/admin/members/import"), lambda w, s: _xlsx(), ONE),
    ("meetings.create", "GET"): Call(writer_page, _fixed("/admin/meetings/new"), sides=ONE),
    # the admin: one object, read
    ("members.detail", "GET"): Call(admin_read, _mb),
    ("orgs.detail", "GET"): Call(admin_read, lambda w, s: f"/admin/orgs/{w.orgs['a1_group' if s == 'a' else 'b1']}"),
    ("meetings.detail", "GET"): Call(admin_read, _m),
    ("meetings.live", "GET"): Call(admin_read, lambda w, s: _m(w, s) + "/live"),
    ("meetings.live_code", "GET"): Call(admin_read, lambda w, s: _m(w, s) + "/live/code"),
    ("meetings.live_arrivals", "GET"): Call(admin_read, lambda w, s: _m(w, s) + "/live/arrivals"),
    ("meetings.poster", "GET"): Call(admin_read, lambda w, s: _m(w, s) + "/poster.png"),
    ("meetings.minutes", "GET"): Call(admin_read, lambda w, s: _m(w, s) + "/minutes"),
    ("meetings.minutes_photo", "GET"): Call(admin_read, lambda w, s: f"{_m(w, s)}/minutes/photos/{w.photos[s]}"),
    # the admin: one object, write
    ("members.edit", "GET"): Call(admin_write, lambda w, s: _mb(w, s) + "/edit"),
    ("members.edit", "POST"): Call(admin_write, lambda w, s: _mb(w, s) + "/edit", _member_form),
    ("members.create", "POST"): Call(admin_write, _fixed("/admin/members/new"), _member_form),
    ("members.invite", "POST"): Call(admin_write, lambda w, s: _mb(w, s) + "/invite", lambda w, s: {}),
    ("members.move", "POST"): Call(
        admin_write, lambda w, s: _mb(w, s) + "/move", lambda w, s: {"org_id": w.orgs["a1" if s == "a" else "b1"]}
    ),
    ("members.revoke_sessions", "POST"): Call(
        admin_write, lambda w, s: _mb(w, s) + "/revoke-sessions", lambda w, s: {}
    ),
    ("members.unbind", "POST"): Call(admin_write, lambda w, s: _mb(w, s) + "/unbind", lambda w, s: {}),
    ("members.import_status", "GET"): Call(own_import, lambda w, s: f"/admin/members/import/{w.imports[s]}"),
    ("members.import_progress", "GET"): Call(own_import, lambda w, s: f"/admin/members/import/{w.imports[s]}.json"),
    ("orgs.create", "POST"): Call(
        admin_write,
        _fixed("/admin/orgs/"),
        lambda w, s: {"name": "新党小组", "kind": "group", "parent_id": w.orgs["a1" if s == "a" else "b1"]},
    ),
    ("orgs.rename", "POST"): Call(
        admin_write,
        lambda w, s: f"/admin/orgs/{w.orgs['a1_group' if s == 'a' else 'b1']}/rename",
        lambda w, s: {"name": "改名"},
    ),
    ("orgs.move", "POST"): Call(
        admin_write,
        lambda w, s: f"/admin/orgs/{w.orgs['a1_group' if s == 'a' else 'b1']}/move",
        lambda w, s: {"parent_id": w.orgs["a1" if s == "a" else "general_b"]},
    ),
    # an only child: accepted, then told it is first already (a sibling's secretary gets 404, see test_tree)
    ("orgs.shift", "POST"): Call(
        admin_write,
        lambda w, s: f"/admin/orgs/{w.orgs['a1_group' if s == 'a' else 'b1']}/shift",
        lambda w, s: {"direction": "up"},
    ),
    ("orgs.dissolve", "POST"): Call(
        admin_write, lambda w, s: f"/admin/orgs/{w.orgs['a1_group' if s == 'a' else 'b1']}/dissolve", lambda w, s: {}
    ),
    ("meetings.create", "POST"): Call(admin_write, _fixed("/admin/meetings/new"), _form),
    ("meetings.edit", "GET"): Call(admin_write, lambda w, s: _m(w, s) + "/edit"),
    ("meetings.edit", "POST"): Call(
        admin_write, lambda w, s: _m(w, s) + "/edit", lambda w, s: _form(w, s) | {"title": "改过的会议"}
    ),
    ("meetings.cancel", "POST"): Call(admin_write, lambda w, s: _m(w, s) + "/cancel", lambda w, s: {}),
    ("meetings.manual", "POST"): Call(
        admin_write, lambda w, s: _m(w, s) + "/manual", lambda w, s: {"member_id": w.members[s], "reason": "无智能手机"}
    ),
    ("meetings.decide", "POST"): Call(
        admin_write, lambda w, s: f"{_m(w, s)}/leave/{w.leaves[s]}", lambda w, s: {"decision": "approve"}
    ),
    ("meetings.save_minutes", "POST"): Call(
        admin_write,
        lambda w, s: _m(w, s) + "/minutes",
        lambda w, s: {"topic": "学习", "content": "内容", "decisions": "", "action": "save"},
    ),
    ("meetings.amend_minutes", "POST"): Call(
        admin_write, lambda w, s: _m(w, s) + "/minutes/amend", lambda w, s: {"reason": "笔误", "content": "更正"}
    ),
    # party dues
    ("dues.rules_page", "GET"): Call(admin_page, _fixed("/admin/dues/rules"), sides=ONE),
    ("dues.add_rule", "POST"): Call(
        superadmin_write,
        _fixed("/admin/dues/rules"),
        lambda w, s: (
            {"effective_month": f"{add_months(current_month(), 2):%Y-%m}", "title": "新规"}
            | {"employed": "3000:0.5, *:1", "retired": "*:0.5", "fixed_low_yuan": "0.2"}
            | {"farmer_min_yuan": "0.2", "farmer_max_yuan": "1"}
        ),
        ONE,
    ),
    ("dues.bases_page", "GET"): Call(admin_page, _fixed("/admin/dues/bases"), sides=ONE),
    ("dues.bases_template", "GET"): Call(writer_page, _fixed("/admin/dues/bases/template.xlsx"), sides=ONE),
    ("dues.bases_import", "POST"): Call(writer_page, _fixed("/admin/dues/bases/import"), lambda w, s: _xlsx(), ONE),
    ("dues.bills_page", "GET"): Call(admin_page, _fixed("/admin/dues/bills"), sides=ONE),
    ("dues.bills_export", "GET"): Call(admin_page, _fixed("/admin/dues/bills.xlsx"), sides=ONE),
    ("dues.member_dues", "GET"): Call(admin_read, lambda w, s: f"/admin/dues/members/{w.members[s]}"),
    ("dues.set_base", "POST"): Call(
        admin_write,
        lambda w, s: f"/admin/dues/members/{w.members[s]}/base",
        lambda w, s: {"effective_month": f"{current_month():%Y-%m}", "base_yuan": "5200.50"},
    ),
    ("dues.approve_backpay", "POST"): Call(
        admin_write,
        lambda w, s: f"/admin/dues/members/{w.members[s]}/backpay",
        lambda w, s: {"from_month": f"{add_months(current_month(), -9):%Y-%m}", "reason": "长期外派"},
    ),
    ("dues.bill_status", "POST"): Call(
        admin_write,
        lambda w, s: f"/admin/dues/bills/{w.bills[s]}/status",
        lambda w, s: {"status": "waived", "note": "困难党员"},
    ),
    ("dues.settings_page", "GET"): Call(
        admin_read, lambda w, s: f"/admin/dues/settings/{w.orgs['a1' if s == 'a' else 'b1']}"
    ),
    ("dues.save_settings", "POST"): Call(
        admin_write,
        lambda w, s: f"/admin/dues/settings/{w.orgs['a1' if s == 'a' else 'b1']}",
        lambda w, s: {"farmer_yuan": "0.5", "allow_pay_ahead": "on", "ahead_months": "3"},
    ),
    ("dues.arrears_page", "GET"): Call(admin_read, lambda w, s: f"/admin/dues/arrears?org_id={_branch(w, s)}"),
    ("dues.ledger_page", "GET"): Call(admin_read, lambda w, s: f"/admin/dues/ledger?org_id={_branch(w, s)}"),
    ("dues.ledger_export", "GET"): Call(admin_read, lambda w, s: f"/admin/dues/ledger.xlsx?org_id={_branch(w, s)}"),
    ("dues.remittances_page", "GET"): Call(admin_read, lambda w, s: f"/admin/dues/remittances?org_id={_branch(w, s)}"),
    ("dues.add_remittance", "POST"): Call(
        admin_write,
        _fixed("/admin/dues/remittances"),
        lambda w, s: (
            {"org_id": _branch(w, s), "amount_yuan": "100"}
            | {"first_month": f"{add_months(current_month(), -3):%Y-%m}", "last_month": f"{current_month():%Y-%m}"}
        ),
    ),
    ("dues.reverse_remittance", "POST"): Call(
        admin_write, lambda w, s: f"/admin/dues/remittances/{w.remittances[s]}/reverse", lambda w, s: {"note": "记错"}
    ),
    ("dues.member_payments", "GET"): Call(admin_read, lambda w, s: f"/admin/dues/members/{w.members[s]}/payments"),
    ("dues.record_offline", "POST"): Call(
        admin_write,
        lambda w, s: f"/admin/dues/members/{w.members[s]}/payments",
        lambda w, s: {"bill_id": str(w.bills[s]), "channel": "cash", "receipt_no": "No.0012", "extra_yuan": "0"},
    ),
    ("dues.refund_payment", "POST"): Call(
        finance_write,
        lambda w, s: f"/admin/dues/payments/{w.payments['wechat-' + s]}/refund",
        lambda w, s: {"reason": "多缴"},
    ),
    ("dues.reverse_payment", "POST"): Call(
        admin_write,
        lambda w, s: f"/admin/dues/payments/{w.payments['cash-' + s]}/reverse",
        lambda w, s: {"reason": "登记错了"},
    ),
    ("dues.reconciliation_page", "GET"): Call(superadmin_write, _fixed("/admin/dues/reconciliation"), sides=ONE),
    ("dues.run_reconciliation", "POST"): Call(
        superadmin_write,
        _fixed("/admin/dues/reconciliation"),
        lambda w, s: {"day": (utcnow() - timedelta(days=1)).date().isoformat()},
        ONE,
    ),
    # the newspaper (手机报): lists, then one issue at each step of its review
    ("newspaper.index", "GET"): Call(admin_page, _fixed("/admin/newspaper/"), sides=ONE),
    ("newspaper.review_queue", "GET"): Call(admin_page, _fixed("/admin/newspaper/review"), sides=ONE),
    ("newspaper.stats_overview", "GET"): Call(admin_page, _fixed("/admin/newspaper/stats"), sides=ONE),
    ("newspaper.stats_overview_export", "GET"): Call(admin_page, _fixed("/admin/newspaper/stats.xlsx"), sides=ONE),
    ("newspaper.create", "GET"): Call(writer_page, _fixed("/admin/newspaper/new"), sides=ONE),
    ("newspaper.create", "POST"): Call(
        admin_write, _fixed("/admin/newspaper/new"), lambda w, s: {"org_id": _branch(w, s), "title": "新的一期"}
    ),
    ("newspaper.issue_page", "GET"): Call(admin_read, _news("draft")),
    ("newspaper.reach", "GET"): Call(admin_read, lambda w, s: _news("draft", f"/reach?org_ids={_branch(w, s)}")(w, s)),
    ("newspaper.edit_issue", "POST"): Call(
        admin_write, _news("draft"), lambda w, s: {"title": "改过的标题", "number": "9", "urgent": "1"}
    ),
    ("newspaper.delete_issue", "POST"): Call(admin_write, _news("draft", "/delete"), lambda w, s: {}),
    ("newspaper.save_audience", "POST"): Call(
        admin_write, _news("draft", "/audience"), lambda w, s: {"org_ids": _branch(w, s)}
    ),
    ("newspaper.new_article", "GET"): Call(admin_write, _news("draft", "/articles/new")),
    ("newspaper.new_article", "POST"): Call(admin_write, _news("draft", "/articles/new"), _news_article_form),
    ("newspaper.preview", "POST"): Call(admin_write, _news("draft", "/preview"), _news_article_form),
    ("newspaper.upload_image", "POST"): Call(
        admin_write, _news("draft", "/images"), lambda w, s: {"image": (_Rewinding(_png()), "图.png")}
    ),
    ("newspaper.article_view", "GET"): Call(admin_read, _news_article("/view")),
    ("newspaper.edit_article", "GET"): Call(admin_write, _news_article()),
    ("newspaper.edit_article", "POST"): Call(admin_write, _news_article(), _news_article_form),
    ("newspaper.delete_article", "POST"): Call(admin_write, _news_article("/delete"), lambda w, s: {}),
    ("newspaper.move_article", "POST"): Call(admin_write, _news_article("/move"), lambda w, s: {"direction": "up"}),
    ("newspaper.submit", "POST"): Call(admin_write, _news("draft", "/submit"), lambda w, s: {}),
    ("newspaper.approve", "POST"): Call(admin_write, _news("submitted", "/approve"), lambda w, s: {"note": "同意"}),
    ("newspaper.send_back", "POST"): Call(
        admin_write, _news("submitted", "/send-back"), lambda w, s: {"note": "请修改标题"}
    ),
    ("newspaper.publish", "POST"): Call(admin_write, _news("approved", "/publish"), lambda w, s: {"when": "now"}),
    ("newspaper.unschedule", "POST"): Call(admin_write, _news("approved", "/unschedule"), lambda w, s: {}),
    ("newspaper.withdraw", "POST"): Call(admin_write, _news("published", "/withdraw"), lambda w, s: {}),
    ("newspaper.progress", "GET"): Call(admin_read, _news("published", "/progress")),
    ("newspaper.progress_counts", "GET"): Call(admin_read, _news("published", "/progress/counts")),
    ("newspaper.issue_stats", "GET"): Call(admin_read, _news("published", "/stats")),
    ("newspaper.issue_stats_export", "GET"): Call(admin_read, _news("published", "/stats.xlsx")),
    # the mini-program: the member's own things
    ("members_api.me", "GET"): Call(api_member, _fixed("/api/me"), sides=ONE),
    ("members_api.home", "GET"): Call(api_member, _fixed("/api/home"), sides=ONE),
    ("meetings_api.my_meetings", "GET"): Call(api_member, _fixed("/api/meetings"), sides=ONE),
    ("meetings_api.my_attendance", "GET"): Call(api_member, _fixed("/api/me/attendance"), sides=ONE),
    ("meetings_api.my_checkin_code", "GET"): Call(api_member, _fixed("/api/me/checkin-code"), sides=ONE),
    ("subscriptions_api.my_subscriptions", "GET"): Call(api_member, _fixed("/api/me/subscriptions"), sides=ONE),
    ("subscriptions_api.record_subscriptions", "POST"): Call(
        api_member, _fixed("/api/me/subscriptions"), lambda w, s: {"results": {"tmpl_meeting": "accept"}}, ONE
    ),
    ("auth_api.logout", "POST"): Call(api_member, _fixed("/api/auth/logout"), lambda w, s: {}, ONE),
    # the mini-program: dues
    ("dues_api.my_dues", "GET"): Call(api_member, _fixed("/api/dues/me"), sides=ONE),
    ("dues_api.my_payments", "GET"): Call(api_member, _fixed("/api/dues/payments"), sides=ONE),
    ("dues_api.make_proxy_token", "POST"): Call(api_member, _fixed("/api/dues/proxy-tokens"), lambda w, s: {}, ONE),
    ("dues_api.place_order", "POST"): Call(
        api_own_bill, _fixed("/api/dues/orders"), lambda w, s: {"bill_ids": [w.bills[s]]}
    ),
    ("dues_api.order_status", "GET"): Call(api_own_bill, lambda w, s: f"/api/dues/orders/MW{w.members[s]:08d}"),
    ("dues_api.receipt", "GET"): Call(
        api_own_bill, lambda w, s: f"/api/dues/payments/{w.payments['wechat-' + s]}/receipt"
    ),
    ("wechatpay.notify", "POST"): Call(
        refused_without_signature, _fixed("/api/wechatpay/notify"), lambda w, s: {"id": "x"}, ONE
    ),
    ("auth_api.unbind", "POST"): Call(api_member, _fixed("/api/auth/unbind"), lambda w, s: {}, ONE),
    # the mini-program: the inbox and the newspaper
    ("inbox_api.my_inbox", "GET"): Call(api_member, _fixed("/api/inbox?limit=5"), sides=ONE),
    ("inbox_api.unread", "GET"): Call(api_member, _fixed("/api/inbox/unread"), sides=ONE),
    ("newspaper_api.issue_detail", "GET"): Call(
        api_recipient, lambda w, s: f"/api/newspaper/issues/{w.issues[f'published-{s}']}"
    ),
    ("newspaper_api.article_detail", "GET"): Call(
        api_recipient, lambda w, s: f"/api/newspaper/articles/{w.articles[f'published-{s}']}"
    ),
    ("newspaper_api.finish_article", "POST"): Call(
        api_recipient, lambda w, s: f"/api/newspaper/articles/{w.articles[f'published-{s}']}/finish", lambda w, s: {}
    ),
    ("newspaper_api.like_article", "POST"): Call(
        api_recipient,
        lambda w, s: f"/api/newspaper/articles/{w.articles[f'published-{s}']}/like",
        lambda w, s: {"liked": True},
    ),
    ("newspaper_api.share_article", "POST"): Call(
        api_recipient, lambda w, s: f"/api/newspaper/articles/{w.articles[f'published-{s}']}/share", lambda w, s: {}
    ),
    # the mini-program: meetings
    ("meetings_api.meeting_detail", "GET"): Call(api_meeting, _api),
    ("meetings_api.check_in", "POST"): Call(
        api_meeting, lambda w, s: _api(w, s) + "/checkin", lambda w, s: {"code": f"M{w.meetings[s]}.forged"}
    ),
    ("meetings_api.ask_for_leave", "POST"): Call(
        api_meeting, lambda w, s: _api(w, s) + "/leave", lambda w, s: {"reason": "出差在外"}
    ),
    ("meetings_api.arrivals", "GET"): Call(api_meeting_secretary, lambda w, s: _api(w, s) + "/arrivals"),
    ("meetings_api.scan_member", "POST"): Call(
        api_meeting_secretary, lambda w, s: _api(w, s) + "/scan-member", lambda w, s: {"code": "U1.forged"}
    ),
    ("meetings_api.meeting_options", "GET"): Call(api_secretary, _fixed("/api/meetings/options"), sides=ONE),
    ("meetings_api.create_meeting", "POST"): Call(
        api_secretary,
        _fixed("/api/meetings"),
        lambda w, s: (
            {"kind": "theme_day", "title": "手机安排", "organiser_id": w.orgs["a1"]}
            | {"participant_ids": [w.orgs["a1"]], "day": (utcnow() + timedelta(days=3)).date().isoformat()}
            | {"starts": "09:00", "ends": "10:00", "place": "会议室"}
        ),
        ONE,
    ),
}


def _letter(status: str, tail: str = "") -> Callable[[World, str], str]:
    return lambda w, s: f"/admin/mailbox/letters/{w.letters[f'{status}-{s}']}{tail}"


def _notice(step: str, tail: str = "") -> Callable[[World, str], str]:
    return lambda w, s: f"/admin/notices/{w.notices[f'{step}-{s}']}{tail}"


def _notice_form(w: World, s: str) -> dict[str, Any]:
    return {"org_id": _branch(w, s), "org_ids": [_branch(w, s)], "title": "矩阵通知", "when": "now"}


def _api_notice(tail: str = "") -> Callable[[World, str], str]:
    return lambda w, s: f"/api/notices/{w.notices[f'sent-{s}']}{tail}"


def _committee_rules(w: World, s: str) -> str:
    return f"/admin/notices/settings/{w.orgs['committee']}"


TABLE.update(
    {
        # the mailbox and the board: the admin
        ("mailbox.queue", "GET"): Call(writer_page, _fixed("/admin/mailbox/?status=received&overdue=1"), sides=ONE),
        ("mailbox.letter_page", "GET"): Call(admin_write, _letter("received")),
        ("mailbox.take", "POST"): Call(admin_write, _letter("received", "/take"), lambda w, s: {}),
        ("mailbox.reply", "POST"): Call(admin_write, _letter("in_hand", "/reply"), lambda w, s: {"reply": "已收到"}),
        ("mailbox.save_settings", "POST"): Call(
            admin_write, _fixed("/admin/mailbox/settings"), lambda w, s: {"org_id": _branch(w, s), "reply_days": "5"}
        ),
        ("mailbox.board_page", "GET"): Call(writer_page, _fixed("/admin/mailbox/board?status=pending"), sides=ONE),
        ("mailbox.moderate", "POST"): Call(
            admin_write, lambda w, s: f"/admin/mailbox/board/posts/{w.posts[s]}/hide", lambda w, s: {}
        ),
        ("mailbox.board_settings", "POST"): Call(
            admin_write,
            _fixed("/admin/mailbox/board/settings"),
            lambda w, s: {"org_id": _branch(w, s), "premoderation": "1"},
        ),
        ("mailbox.stats_page", "GET"): Call(writer_page, _fixed("/admin/mailbox/stats?days=30"), sides=ONE),
        ("mailbox.stats_export", "GET"): Call(writer_page, _fixed("/admin/mailbox/stats.xlsx"), sides=ONE),
        # the mailbox and the board: the mini-program
        ("mailbox_api.my_mailboxes", "GET"): Call(api_member, _fixed("/api/mailbox"), sides=ONE),
        ("mailbox_api.my_letters", "GET"): Call(api_member, _fixed("/api/letters"), sides=ONE),
        ("mailbox_api.write_letter", "POST"): Call(
            api_member,
            _fixed("/api/letters"),
            lambda w, s: {"addressee": "committee", "subject": "建议", "body": "内容", "anonymous": True},
            ONE,
        ),
        ("mailbox_api.letter_detail", "GET"): Call(api_own, lambda w, s: f"/api/letters/{w.letters[f'received-{s}']}"),
        ("mailbox_api.branch_board", "GET"): Call(api_member, _fixed("/api/board"), sides=ONE),
        ("mailbox_api.post_to_board", "POST"): Call(
            api_member, _fixed("/api/board"), lambda w, s: {"body": "留言"}, ONE
        ),
        # notices (通知公告): the admin
        ("notices.index", "GET"): Call(admin_page, _fixed("/admin/notices/"), sides=ONE),
        ("notices.review_queue", "GET"): Call(admin_page, _fixed("/admin/notices/review"), sides=ONE),
        ("notices.compose", "GET"): Call(writer_page, _fixed("/admin/notices/new"), sides=ONE),
        ("notices.compose", "POST"): Call(admin_write, _fixed("/admin/notices/new"), _notice_form),
        ("notices.reach", "GET"): Call(
            admin_write, lambda w, s: f"/admin/notices/reach?org_id={_branch(w, s)}&org_ids={_branch(w, s)}"
        ),
        ("notices.receipts_page", "GET"): Call(admin_read, _notice("sent")),
        ("notices.receipts_live", "GET"): Call(admin_read, _notice("sent", "/receipts")),
        ("notices.receipts_export", "GET"): Call(admin_read, _notice("sent", "/receipts.xlsx")),
        ("notices.attachment", "GET"): Call(admin_read, _notice("sent", "/attachment")),
        ("notices.remind", "POST"): Call(admin_write, _notice("sent", "/remind"), lambda w, s: {}),
        ("notices.withdraw", "POST"): Call(admin_write, _notice("sent", "/withdraw"), lambda w, s: {}),
        ("notices.approve", "POST"): Call(notice_review, _notice("pending", "/approve"), lambda w, s: {}),
        ("notices.reject", "POST"): Call(notice_review, _notice("pending", "/reject"), lambda w, s: {"note": "重复"}),
        ("notices.settings_page", "GET"): Call(committee_rules_read, _committee_rules, sides=ONE),
        ("notices.save_settings", "POST"): Call(
            committee_rules_write, _committee_rules, lambda w, s: {"review_above": "100"}, ONE
        ),
        # notices: the mini-program (the members of the notice's branch, the secretary's phone among them)
        ("notices_api.notice_detail", "GET"): Call(api_recipient, _api_notice()),
        ("notices_api.acknowledge", "POST"): Call(api_recipient, _api_notice("/ack"), lambda w, s: {}),
        ("notices_api.notice_attachment", "GET"): Call(api_recipient, _api_notice("/attachment")),
    }
)


def _qz(w: World, s: str) -> str:
    return f"/admin/quizzes/{w.quizzes[s]['quiz']}"


def _draft(w: World, s: str) -> str:
    return f"/admin/quizzes/{w.quizzes[s]['draft']}"


def _bank_path(w: World, s: str) -> str:
    return f"/admin/quizzes/banks/{w.quizzes[s]['bank']}"


def _attempt(w: World, s: str) -> str:
    return f"/api/attempts/{w.quizzes[s]['attempt']}"


def _quiz_form(w: World, s: str) -> dict[str, Any]:
    day = (utcnow() + timedelta(days=3)).date().isoformat()
    return {"kind": "exam", "title": "矩阵考试", "org_id": _branch(w, s), "bank_ids": [w.quizzes[s]["bank"]]} | {
        "draw_count": "5",
        "opens_at": f"{day}T09:00",
        "closes_at": f"{day}T18:00",
        "time_limit_min": "30",
    }


def _question_form(w: World, s: str) -> dict[str, Any]:
    return {"kind": "single", "stem": "矩阵题", "option_A": "甲", "option_B": "乙", "answer": "A"}


def _theme_day(w: World, s: str) -> str:
    """The 主题党日 form of the side's branch, for July: the members' political birthdays (joined 1 July)."""
    return f"/admin/birthdays/branches/{_branch(w, s)}/theme-day?month={utcnow().year}-07"


def _theme_day_form(w: World, s: str) -> dict[str, Any]:
    day = (utcnow() + timedelta(days=3)).date().isoformat()
    return {"title": "矩阵主题党日", "day": day, "starts": "15:00", "ends": "17:00", "member_ids": [w.members[s]]}


TABLE.update(
    {
        # political birthdays: the admin's month, its export, the 主题党日 form of one branch; the member's card
        ("birthdays.index", "GET"): Call(admin_page, _fixed("/admin/birthdays/?month=2026-07"), sides=ONE),
        ("birthdays.export", "GET"): Call(admin_page, _fixed("/admin/birthdays/export.xlsx"), sides=ONE),
        ("birthdays.theme_day", "GET"): Call(admin_write, _theme_day),
        ("birthdays.theme_day", "POST"): Call(admin_write, _theme_day, _theme_day_form),
        ("birthdays_api.greeting_card", "GET"): Call(api_own, lambda w, s: f"/api/birthday-greetings/{w.greetings[s]}"),
        ("birthdays_api.my_birthday", "GET"): Call(api_member, _fixed("/api/me/birthday"), sides=ONE),
        # quizzes: the admin
        ("quizzes.index", "GET"): Call(admin_page, _fixed("/admin/quizzes/"), sides=ONE),
        ("quizzes.create", "GET"): Call(writer_page, _fixed("/admin/quizzes/new"), sides=ONE),
        ("quizzes.create", "POST"): Call(admin_write, _fixed("/admin/quizzes/new"), _quiz_form),
        ("quizzes.detail", "GET"): Call(admin_read, _qz),
        ("quizzes.edit", "GET"): Call(admin_write, lambda w, s: _draft(w, s) + "/edit"),
        ("quizzes.edit", "POST"): Call(admin_write, lambda w, s: _draft(w, s) + "/edit", _quiz_form),
        ("quizzes.publish", "POST"): Call(admin_write, lambda w, s: _draft(w, s) + "/publish", lambda w, s: {}),
        ("quizzes.close", "POST"): Call(admin_write, lambda w, s: _qz(w, s) + "/close", lambda w, s: {}),
        ("quizzes.results_export", "GET"): Call(admin_read, lambda w, s: _qz(w, s) + "/results.xlsx"),
        ("quizzes.screen", "GET"): Call(admin_read, lambda w, s: _qz(w, s) + "/screen"),
        ("quizzes.screen_board", "GET"): Call(admin_read, lambda w, s: _qz(w, s) + "/screen/board"),
        ("quizzes.bank_list", "GET"): Call(admin_page, _fixed("/admin/quizzes/banks"), sides=ONE),
        ("quizzes.create_bank", "POST"): Call(
            admin_write, _fixed("/admin/quizzes/banks"), lambda w, s: {"org_id": _branch(w, s), "name": "矩阵题库"}
        ),
        ("quizzes.bank_detail", "GET"): Call(admin_read, _bank_path),
        ("quizzes.add_question", "POST"): Call(
            admin_write, lambda w, s: _bank_path(w, s) + "/questions", _question_form
        ),
        ("quizzes.edit_question", "GET"): Call(
            admin_write, lambda w, s: f"/admin/quizzes/questions/{w.quizzes[s]['question']}/edit"
        ),
        ("quizzes.edit_question", "POST"): Call(
            admin_write, lambda w, s: f"/admin/quizzes/questions/{w.quizzes[s]['question']}/edit", _question_form
        ),
        ("quizzes.toggle_question", "POST"): Call(
            admin_write,
            lambda w, s: f"/admin/quizzes/questions/{w.quizzes[s]['question']}/active",
            lambda w, s: {"active": "0"},
        ),
        ("quizzes.bank_template", "GET"): Call(writer_page, _fixed("/admin/quizzes/banks/template.xlsx"), sides=ONE),
        ("quizzes.bank_import_upload", "POST"): Call(
            admin_write, lambda w, s: _bank_path(w, s) + "/import", lambda w, s: _xlsx()
        ),
        ("quizzes.bank_export", "GET"): Call(admin_read, lambda w, s: _bank_path(w, s) + "/export.xlsx"),
        ("points.leaderboard_page", "GET"): Call(admin_read, lambda w, s: f"/admin/points/?org_id={_branch(w, s)}"),
        # quizzes: the mini-program
        ("quizzes_api.my_quizzes", "GET"): Call(api_member, _fixed("/api/quizzes"), sides=ONE),
        ("quizzes_api.start_attempt", "POST"): Call(
            api_audience, lambda w, s: f"/api/quizzes/{w.quizzes[s]['quiz']}/attempts", lambda w, s: {}
        ),
        ("quizzes_api.get_attempt", "GET"): Call(api_own, _attempt),
        ("quizzes_api.save_answer", "PUT"): Call(
            api_own, lambda w, s: _attempt(w, s) + "/items/1", lambda w, s: {"given": [0]}
        ),
        ("quizzes_api.submit", "POST"): Call(api_own, lambda w, s: _attempt(w, s) + "/submit", lambda w, s: {}),
        ("quizzes_api.attempt_result", "GET"): Call(api_own, lambda w, s: _attempt(w, s) + "/result"),
        ("quizzes_api.my_wrong_answers", "GET"): Call(api_member, _fixed("/api/me/wrong-answers"), sides=ONE),
        ("quizzes_api.practise_wrong_answers", "POST"): Call(
            api_member, _fixed("/api/me/wrong-answers/practice"), lambda w, s: {}, ONE
        ),
        ("points_api.my_points", "GET"): Call(api_member, _fixed("/api/me/points"), sides=ONE),
        ("points_api.my_leaderboard", "GET"): Call(api_member, _fixed("/api/leaderboard"), sides=ONE),
    }
)


# ---------------------------------------------------------------------------------------------------
# Running it


def _routes(app) -> list[tuple[str, str]]:
    return sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    )


def test_every_route_of_the_app_is_in_the_table(app):
    missing = [route for route in _routes(app) if route not in TABLE]
    stale = [route for route in TABLE if route not in set(_routes(app))]
    assert not missing, f"routes without a row in the authorization matrix: {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"


def _error_code(response) -> str | None:
    body = response.get_json(silent=True) or {}
    if "error" in body:
        return body["error"].get("code")
    match = re.search(r'data-code="([^"]*)"', response.get_data(as_text=True))
    return match.group(1) if match else None


def _outcome(response) -> str:
    status = response.status_code
    if status == 302 and "/admin/login" in response.headers.get("Location", ""):
        return LOGIN
    if status == 400 and _error_code(response) == "csrf_failed":
        return LOGIN  # a form posted without a session's CSRF token: refused before any view runs
    if status in (401, 403, 404):
        return str(status)
    assert status < 500, response.get_data(as_text=True)[:500]
    return OK


def _comparable(response) -> tuple[int, str | None, str]:
    """What a refusal tells: status, code and message (the page around it may differ, e.g. a flash)."""
    body = response.get_json(silent=True) or {}
    if "error" in body:
        return response.status_code, body["error"].get("code"), body["error"].get("message", "")
    match = re.search(r'data-code="([^"]*)">([^<]*)<', response.get_data(as_text=True))
    return response.status_code, *(match.groups() if match else (None, ""))


def _missing_twin(path: str) -> str:
    """The same path with its last id replaced by one that exists nowhere."""
    return re.sub(r"/(\d+)(?=(\.json|/[a-z\-.]*)?(\?|$))", "/987654321", path, count=1)


class Callers:
    """One logged-in admin client per role (logged in once per module), phones with bearer tokens."""

    def __init__(self, app) -> None:
        self.app = app
        self.browsers: dict[str, AdminBrowser] = {}

    def admin(self, role: str) -> AdminBrowser:
        if role not in self.browsers:
            browser = AdminBrowser(self.app.test_client())
            assert browser.login(USERNAMES[role]).status_code == 302
            self.browsers[role] = browser
        return self.browsers[role]

    def call(self, role: str, world: World, method: str, path: str, data: dict | None):
        if role in ADMINS:
            browser = self.admin(role)
            if method == "GET":
                return browser.get(path)
            if method != "POST":  # the API's PUT: an admin session is no bearer token
                return browser.client.open(path, method=method, json=data)
            response = browser.post(path, data or {}, content_type="multipart/form-data")
            if path == "/admin/logout":
                del self.browsers[role]  # that session is over
            return response
        client = self.app.test_client()
        headers = {"Authorization": f"Bearer {world.tokens[role]}"} if role in PHONES else {}
        if path.startswith("/api/"):
            return client.open(path, method=method, json=data if method != "GET" else None, headers=headers)
        return client.open(path, method=method, data=data, headers=headers)


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture(scope="module")
def callers(app) -> Callers:
    return Callers(app)


@pytest.fixture(scope="module")
def built_world() -> dict[str, Any]:
    """The world and a snapshot of the database holding it, made by the module's first ``world_factory()``."""
    return {}


@pytest.fixture
def world_factory(app, tree_builder, make_member, password_hash, reset_database, built_world) -> Callable[[], World]:
    """``world_factory()``: the world as first built, whatever was written since; built once per module,
    then put back from its snapshot (the same rows and ids) in a fraction of the time."""

    def build() -> World:
        db.session.rollback()  # nothing of the test's transaction may see the world it replaces
        if built_world:
            built_world["snapshot"].restore()
        else:
            reset_database()
            built_world["world"] = build_world(tree_builder, make_member, password_hash)
            built_world["snapshot"] = Snapshot.take()
        return copy.deepcopy(built_world["world"])

    return build


CASES = sorted(TABLE)


@pytest.mark.parametrize(("endpoint", "method"), CASES, ids=[f"{e}:{m}" for e, m in CASES])
def test_route_answers_each_role_as_the_table_says(endpoint, method, world_factory, callers):
    call = TABLE[(endpoint, method)]
    world = world_factory()
    wrong = []
    # Refusals first: they change nothing. After an accepted write the world is built again.
    order = sorted(ROLES, key=lambda role: call.rule(role, "a") == OK)
    for side in call.sides:
        for role in order:
            expected = call.rule(role, side)
            path = call.path(world, side)
            data = call.data(world, side) if call.data else None
            response = callers.call(role, world, method, path, data)
            got = _outcome(response)
            response.close()
            if expected != ANY and got != expected:
                wrong.append(f"{role} on side {side}: expected {expected}, got {got} ({response.status_code})")
            if got == E404 and expected == E404 and re.search(r"/\d+", path):
                fresh = call.data(world, side) if call.data else None  # an uploaded file is read once
                twin = callers.call(role, world, method, _missing_twin(path), fresh)
                twin.close()
                if _comparable(twin) != _comparable(response):
                    wrong.append(f"{role} on side {side}: a 404 that differs from a missing record's")
            if method != "GET" and response.status_code < 400:
                world = world_factory()
    assert not wrong, f"{endpoint} {method}:\n" + "\n".join(wrong)


def test_the_matrix_covers_every_role_and_both_sides(app):
    """Counts for the closing note: routes × roles × sides checked."""
    checked = sum(len(ROLES) * len(call.sides) for call in TABLE.values())
    assert len(TABLE) == len(_routes(app)) and checked >= 9 * len(TABLE)


def test_a_read_of_the_minutes_page_writes_nothing(world_factory, callers):
    world = world_factory()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Minutes))
    meeting = Meeting(
        kind=MeetingKind.THEME_DAY,
        title="未写纪要",
        organiser=db.session.get(Organisation, world.orgs["a1"]),
        starts_at=utcnow() - timedelta(hours=1),
        ends_at=utcnow(),
        checkin_opens_at=utcnow() - timedelta(hours=2),
        checkin_closes_at=utcnow(),
        code_secret="x",
    )
    db.session.add(meeting)
    db.session.commit()
    for role in (SECRETARY, READER):
        response = callers.call(role, world, "GET", f"/admin/meetings/{meeting.id}/minutes", None)
        assert response.status_code == 200
    assert "还没有纪要" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Minutes)) == before
