"""API fuzzing: schemathesis sends generated and deliberately invalid requests to every operation that
``/api/openapi.json`` documents, in process against the WSGI app, and holds every answer to the contract.

- no 5xx, whatever a caller sends;
- every status code, content type and body is the one the OpenAPI document promises;
- every error is ``{"error": {"code": str, "message": str, "fields"?: {...}}}`` with a Chinese message.

The requests come from a real member and a secretary-linked member (or no or a forged token), and point
with some probability at real meetings (under way in the member's branch with and without a geofence,
another general branch's, a coming one, a past one), real organisations and live, correctly signed
check-in codes, so the fuzzer gets past "not found" and "code forged" into the services. After every
request that may write, the database is put back to the seeded state, so what one case does (a logout,
an unbind, a check-in, a new meeting) neither piles up nor changes what the next case finds.

Bounded for CI: a fixed number of examples per operation (positive and negative together), no deadline,
derandomized. A summary (requests sent, by status class and operation, 5xx count, time) is printed at the end.
"""

from __future__ import annotations

import contextvars
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation

from server import create_app
from server.auth.admin_services import create_admin
from server.auth.member_services import _start_session, _ticket_serializer, issue_invite_code
from server.auth.models import BindMethod, Role, WechatBinding
from server.birthdays.models import BirthdayGreeting
from server.db import db, utcnow
from server.dues.bills import generate_bills
from server.dues.models import DuesBill
from server.dues.months import add_months, current_month
from server.dues.rules import ensure_rules_2008
from server.extensions import limiter
from server.inbox import services as inbox
from server.inbox.models import InboxKind
from server.meetings import codes
from server.meetings.models import Meeting, MeetingKind
from server.meetings.services import create_meeting
from server.members.models import DuesCategory, Gender, Member, MemberStatus
from server.members.schemas import clean_member_data
from server.members.services import create_member
from server.newspaper import audience, reads
from server.newspaper.models import ArticleShare, IssueStatus, Narrowing, NewsArticle, NewsAudience, NewsIssue
from server.orgs.models import Organisation, OrgKind
from server.orgs.services import create_org
from server.timezone import local_today
from server.wechat.emulator.testing import RunningEmulator
from tests.notices.factories import sent_notice

#: examples per operation (positive and negative together); more where the input leads deep into the services
MAX_EXAMPLES, MAX_EXAMPLES_DEEP = 50, 150
DEEP_OPERATIONS = (
    r"\{meeting_id\}|^/api/meetings$|^/api/me/attendance$|^/api/dues/orders$"
    r"|\{attempt_id\}|\{quiz_id\}|^/api/leaderboard$|\{article_id\}|^/api/inbox$|\{notice_id\}"
)
VENUE = (39.9087, 116.3975)
#: the WeChat users of the seeded members with a session, and one who has not bound yet
WECHAT_USERS = {"member": "wx-zhangsan", "secretary": "wx-shuji", "other_branch_member": "wx-lisi"}
NEWCOMER, NEWCOMER_PHONE = "wx-zhaoliu", "13900000004"
CHINESE = re.compile(r"[\u4e00-\u9fff]")

FUZZ_CONFIG = {
    "generation": {
        "mode": "all",
        "max-examples": MAX_EXAMPLES,
        "deterministic": True,
        "database": "none",
        # The caller is chosen by the test, among real tokens, none and a forged one.
        "with-security-parameters": False,
    },
    "operations": [{"include-path-regex": DEEP_OPERATIONS, "generation": {"max-examples": MAX_EXAMPLES_DEEP}}],
    "phases": {"stateful": {"enabled": False}},
    "checks": {
        # Schema-valid input may still break a rule the schema cannot state (a meeting that ends before it
        # starts, a check-in code that is not this meeting's): a refusal there is correct, not a bug.
        "positive_data_acceptance": {"enabled": False},
        # A body over a route's bound (an answer is a few numbers) is refused before it is read: 413, added to
        # schemathesis's own list (a 5xx stays in it: the not_a_server_error check fails those).
        "negative_data_rejection": {
            "expected-statuses": [
                "400",
                "401",
                "403",
                "404",
                "405",
                "406",
                "409",
                "413",
                "415",
                "422",
                "428",
                "429",
                "5xx",
            ]
        },
    },
}

#: who sends the request: mostly the member, or the secretary where secretary mode is asked for
CALLERS = ["member", "secretary", "other_branch_member", "anonymous", "forged"]
SECRETARY_MODE = re.compile(r"/scan-member$|/arrivals$|^/api/meetings(/options)?$")


@dataclass
class FuzzStats:
    """What the run sent and got back, for the summary at the end."""

    wall_start: float = field(default_factory=time.monotonic)
    cpu_start: float = field(default_factory=time.process_time)
    by_operation: dict[str, Counter] = field(default_factory=dict)

    def record(self, operation: str, status: int) -> None:
        self.by_operation.setdefault(operation, Counter())[f"{status // 100}xx"] += 1

    def summary(self) -> list[str]:
        total = sum(self.by_operation.values(), Counter())
        wall, cpu = time.monotonic() - self.wall_start, time.process_time() - self.cpu_start
        lines = [
            f"API fuzz: {total.total()} generated requests over {len(self.by_operation)} operations "
            f"in {wall:.0f} s ({cpu:.0f} s CPU); {_classes(total)}; 5xx: {total['5xx']}"
        ]
        lines += [f"  {operation}: {_classes(counts)}" for operation, counts in sorted(self.by_operation.items())]
        return lines


def _classes(counts: Counter) -> str:
    return ", ".join(f"{key} {count}" for key, count in sorted(counts.items()))


def _delete_everything(connection: sa.Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.execute(sa.text("PRAGMA defer_foreign_keys=ON"))  # checked at commit, when all are gone
    for table in reversed(db.metadata.sorted_tables):
        connection.execute(table.delete())


class Snapshot:
    """Every row of every table as seeded; ``restore`` puts the database back to exactly that."""

    def __init__(self) -> None:
        with db.engine.connect() as connection:
            self.rows = {
                table: [dict(row) for row in connection.execute(sa.select(table)).mappings()]
                for table in db.metadata.sorted_tables
            }

    def restore(self, *, after_truncate: bool = False) -> None:
        with db.engine.begin() as connection:
            _delete_everything(connection)
            for table, rows in self.rows.items():
                if rows:
                    connection.execute(table.insert(), rows)
            if after_truncate and connection.dialect.name == "postgresql":
                # The suite's cleanup restarts the id sequences; the next row must not take a seeded id.
                for table, rows in self.rows.items():
                    if rows and "id" in table.c:
                        top = max(row["id"] for row in rows)
                        connection.execute(
                            sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), {top})")
                        )


@dataclass(frozen=True)
class MeetingRef:
    """What a live code is made of, read once: the ORM rows expire as the database is restored."""

    id: int
    code_secret: str


@dataclass
class World:
    """The seeded committee: who calls, which meetings and organisations exist."""

    tokens: dict[str, str]
    meetings: dict[str, MeetingRef]
    home_org_ids: list[int]  # the secretary's branch and its party group
    org_ids: list[int]
    member_ids: list[int]
    snapshot: Snapshot
    wechat: RunningEmulator
    #: the invite code the secretary gave 赵六, who has not bound WeChat yet
    invite: tuple[str, str]
    #: dues bills: 张三's three unpaid months, and one of 李四's (another branch)
    bill_ids: list[int] = field(default_factory=list)
    #: newspaper issues: two of 甲一 in 张三's and the secretary's inboxes, one of 乙一 in 李四's; one withdrawn
    issue_ids: list[int] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)
    #: quizzes of 甲一 (an exam, a practice, a contest) and of 乙一; 张三's open attempt at the exam, 李四's
    quiz_ids: list[int] = field(default_factory=list)
    attempt_ids: list[int] = field(default_factory=list)
    #: political birthday greetings: 张三's (in his inbox) and 李四's (another branch)
    greeting_ids: list[int] = field(default_factory=list)
    #: letters: 张三's anonymous one to 甲一's secretary (replied), 李四's to the committee (waiting)
    letter_ids: list[int] = field(default_factory=list)
    #: notices: 甲一's with 回执 and an attachment, 甲一's without, 乙一's
    notice_ids: list[int] = field(default_factory=list)

    def headers(self, caller: str) -> dict[str, str]:
        if caller == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.tokens.get(caller, 'forged-token')}"}


def _meeting(organiser: Organisation, title: str, starts_in: timedelta, **kw: Any) -> Meeting:
    """Scheduled ahead, as the rules require, then moved to ``starts_in`` (a meeting under way, or over)."""
    ahead = max(starts_in, timedelta(hours=1))
    starts = utcnow() + ahead
    meeting = create_meeting(
        kind=kw.pop("kind", MeetingKind.THEME_DAY),
        title=title,
        organiser=organiser,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="三楼会议室",
        **kw,
    )
    db.session.flush()
    by = starts_in - ahead
    for column in ("starts_at", "ends_at", "checkin_opens_at", "checkin_closes_at"):
        setattr(meeting, column, getattr(meeting, column) + by)
    return meeting


def _member(org: Organisation, name: str, phone: str, group: Organisation | None = None, **more: Any) -> Member:
    """A member as an imported roster often has them: the required facts, the rest blank."""
    data = {"name": name, "gender": Gender.FEMALE, "phone": phone, "status": MemberStatus.PROBATIONARY}
    data |= {"dues_category": DuesCategory.RETIRED, "org_id": org.id, "group_id": group.id if group else None}
    return create_member(clean_member_data(data | more))


def _newspaper(a1: Organisation, b1: Organisation) -> tuple[list[int], list[int]]:
    """Published issues of 甲一 (two, one of them withdrawn since) and of 乙一, in their members' inboxes."""
    issues = []
    for org, number, status in (
        (a1, 1, IssueStatus.PUBLISHED),
        (a1, 2, IssueStatus.WITHDRAWN),
        (b1, 1, IssueStatus.PUBLISHED),
    ):
        issue = NewsIssue(org=org, number=number, title=f"{org.name}第{number}期", status=status, published_at=utcnow())
        issue.articles = [
            NewsArticle(position=n, title=f"第{n}篇", summary="摘要", body_html="<p>正文</p>") for n in (1, 2)
        ]
        issue.audiences = [NewsAudience(org=org, narrowing=Narrowing.ALL)]
        db.session.add(issue)
        db.session.flush()
        inbox.deliver(InboxKind.NEWSPAPER, issue.id, audience.recipients(issue), now=issue.published_at)
        issues.append(issue)
    return [issue.id for issue in issues], [article.id for issue in issues for article in issue.articles]


def _seed(wechat: RunningEmulator) -> World:
    """党委 → 甲/乙党总支 → 支部 甲一 (with a party group), 甲二, 乙一; members, a secretary, five meetings."""
    committee = create_org("测试党委", OrgKind.COMMITTEE, None)
    general_a = create_org("甲党总支", OrgKind.GENERAL_BRANCH, committee)
    general_b = create_org("乙党总支", OrgKind.GENERAL_BRANCH, committee)
    a1 = create_org("甲一支部", OrgKind.BRANCH, general_a)
    a2 = create_org("甲二支部", OrgKind.BRANCH, general_a)
    b1 = create_org("乙一支部", OrgKind.BRANCH, general_b)
    group = create_org("第一党小组", OrgKind.GROUP, a1)
    people = {
        "member": _member(a1, "张三", "13900000001", group, birth_date=date(1980, 1, 1), education="大学本科"),
        "secretary": _member(a1, "王书记", "13900000002"),
        "other_branch_member": _member(b1, "李四", "13900000003"),
    }
    newcomer = _member(a1, "赵六", NEWCOMER_PHONE)
    _member(a2, "钱七", "13900000005")
    create_admin("shuji", "Secret#2026", "王书记", Role.SECRETARY, a1, member_id=people["secretary"].id)
    meetings = {
        "open": _meeting(a1, "十一月主题党日", timedelta(minutes=-10)),
        "geofenced": _meeting(a1, "支部党员大会", timedelta(minutes=-5), geofence=(*VENUE, 200)),
        "coming": _meeting(a1, "十二月党课", timedelta(days=2), kind=MeetingKind.PARTY_LECTURE),
        "foreign": _meeting(b1, "乙一支部主题党日", timedelta(minutes=-10)),
        "past": _meeting(a1, "十月主题党日", timedelta(days=-30)),
    }
    _, invite = issue_invite_code(newcomer, None)
    ensure_rules_2008()
    for back in range(3):
        generate_bills(add_months(current_month(), -back), member_ids=[people["member"].id])
    generate_bills(current_month(), member_ids=[people["other_branch_member"].id])
    bill_ids = list(db.session.scalars(sa.select(DuesBill.id).order_by(DuesBill.id)))
    issue_ids, article_ids = _newspaper(a1, b1)
    for person, article_id in ((people["member"], article_ids[0]), (people["other_branch_member"], article_ids[4])):
        token = reads.share_token(person.id, article_id)
        db.session.add(ArticleShare(article_id=article_id, sharer_id=person.id, token=token, shared_at=utcnow()))
    quiz_ids, attempt_ids = _seed_quizzes(a1, b1, people)
    greeting_ids = [_greeting(people[who]) for who in ("member", "other_branch_member")]
    letter_ids = _seed_letters(people)
    notices = [sent_notice(a1, None), sent_notice(a1, None, ack=False), sent_notice(b1, None)]
    tokens = {}
    for role, person in people.items():
        openid = wechat.openid(WECHAT_USERS[role])
        db.session.add(WechatBinding(openid=openid, member=person, method=BindMethod.INVITE))
        tokens[role] = _start_session(person, openid).token
    db.session.commit()
    return World(
        tokens=tokens,
        meetings={name: MeetingRef(meeting.id, meeting.code_secret) for name, meeting in meetings.items()},
        home_org_ids=[a1.id, group.id],
        org_ids=[org.id for org in (committee, general_a, general_b, a1, a2, b1, group)],
        member_ids=[person.id for person in people.values()],
        snapshot=Snapshot(),
        wechat=wechat,
        invite=(invite, "赵六"),
        bill_ids=bill_ids,
        issue_ids=issue_ids,
        article_ids=article_ids,
        quiz_ids=quiz_ids,
        attempt_ids=attempt_ids,
        greeting_ids=greeting_ids,
        letter_ids=letter_ids,
        notice_ids=[notice.id for notice in notices],
    )


def _seed_letters(people: dict[str, Member]) -> list[int]:
    """张三's anonymous letter to his secretary, answered; 李四's to the committee, waiting; a post on 甲一's board."""
    from server.mailbox import member_services
    from server.mailbox.models import Addressee, BoardPost, LetterStatus, PostStatus

    answered = member_services.write(people["member"], Addressee.SECRETARY, "食堂", "饭菜太咸", True)
    answered.status, answered.reply, answered.replied_at = LetterStatus.REPLIED, "已改进", utcnow()
    waiting = member_services.write(people["other_branch_member"], Addressee.COMMITTEE, "建议", "多办党课", False)
    db.session.add(
        BoardPost(
            org_id=people["member"].org_id, member_id=people["member"].id, body="大家好", status=PostStatus.VISIBLE
        )
    )
    db.session.flush()
    return [answered.id, waiting.id]


def _greeting(member: Member) -> int:
    """A political birthday greeting of ``member`` (who joined on 1 July 2005), in their inbox."""
    greeting = BirthdayGreeting(
        member_id=member.id, year=2026, join_date=date(2005, 7, 1), years=21, greeted_on=date(2026, 7, 1)
    )
    db.session.add(greeting)
    db.session.flush()
    inbox.deliver(InboxKind.BIRTHDAY, greeting.id, sa.select(sa.literal(member.id)), now=utcnow())
    return greeting.id


def _seed_quizzes(a1: Organisation, b1: Organisation, people: dict[str, Member]) -> tuple[list[int], list[int]]:
    """Quizzes open now for 甲一 and 乙一, with an attempt under way for 张三 and for 李四."""
    from server.auth.member_services import MemberIdentity
    from server.quizzes.models import QuizKind
    from server.quizzes.taking import start
    from tests.quizzes.factories import make_bank, make_quiz

    bank, other_bank = make_bank(a1, questions=8), make_bank(b1, questions=4)
    quizzes = [make_quiz(a1, [bank], kind) for kind in (QuizKind.EXAM, QuizKind.PRACTICE, QuizKind.CONTEST)]
    quizzes.append(make_quiz(b1, [other_bank], QuizKind.EXAM))
    attempts = []
    for person, quiz in ((people["member"], quizzes[0]), (people["other_branch_member"], quizzes[3])):
        identity = MemberIdentity(0, person.id, person.name, person.org_id, person.group_id, None)
        attempts.append(start(quiz, identity))
    return [quiz.id for quiz in quizzes], attempts


@pytest.fixture(scope="module")
def seeded(app: Flask, emulator: RunningEmulator) -> World:
    """Seeded once for the module; each operation's test starts from the snapshot."""
    with app.app_context():
        with db.engine.begin() as connection:
            _delete_everything(connection)  # whatever the previous test module left
        world = _seed(emulator)
        db.session.remove()
    return world


@pytest.fixture
def fuzz_world(app: Flask, seeded: World) -> World:
    """The seeded world, back in the database after the suite's per-test cleanup emptied it."""
    seeded.snapshot.restore(after_truncate=True)
    return seeded


@pytest.fixture(scope="module")
def fuzz_stats(request) -> Iterator[FuzzStats]:
    stats = FuzzStats()
    yield stats
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown on success too, for the CI log
            reporter.write_line("")
            for line in stats.summary():
                reporter.write_line(line)


def _openapi_document() -> dict:
    """The API's own OpenAPI document, from an app made only to serve it (it touches no database).

    Read when the module is collected, so that every operation becomes a test of its own; the requests
    go to the test app, passed to each call.
    """
    return create_app({"TESTING": True}).test_client().get("/api/openapi.json").get_json()


schema = schemathesis.openapi.from_dict(_openapi_document(), config=schemathesis.Config.from_dict(FUZZ_CONFIG))


def _generated_invalid(case, location: ParameterLocation) -> bool:
    """Whether schemathesis made this part of the request invalid on purpose: then it stays as generated,
    or the request would become valid and a 200 would look like invalid input accepted."""
    return case.meta is not None and case.meta.is_negative_at(location)


def _pick(data, label: str, realistic: list, generated: Any) -> Any:
    """Mostly a realistic value, sometimes the generated one."""
    if data.draw(st.integers(0, 4), label=f"{label}: generated?") == 0:
        return generated
    return data.draw(st.sampled_from(realistic), label=label)


def _realistic(case, data, world: World) -> None:
    """Point generated requests at real meetings, organisations, people and live codes, so that they get
    past "not found" and "code forged" into the services."""
    path = case.path_parameters
    if not _generated_invalid(case, ParameterLocation.PATH) and isinstance((path or {}).get("meeting_id"), int):
        path["meeting_id"] = _pick(data, "meeting", [m.id for m in world.meetings.values()], path["meeting_id"])
    if not _generated_invalid(case, ParameterLocation.PATH):
        for name, ids in (
            ("issue_id", world.issue_ids),
            ("article_id", world.article_ids),
            ("greeting_id", world.greeting_ids),
            ("letter_id", world.letter_ids),
            ("notice_id", world.notice_ids),
        ):
            if isinstance((path or {}).get(name), int):
                path[name] = _pick(data, name, ids, path[name])
        _realistic_quiz_path(path or {}, data, world)
    _realistic_newspaper_query(case, data, world)
    body = case.body
    if _generated_invalid(case, ParameterLocation.BODY) or not isinstance(body, dict):
        return
    if case.path.startswith("/api/auth/"):
        _realistic_binding(body, data, world)
    elif case.path == "/api/meetings":
        _realistic_meeting_form(body, data, world)
    elif "given" in body:
        if isinstance(body.get("given"), list):
            body["given"] = _pick(data, "given", [[0], [1], [0, 2], []], body["given"])
    elif case.path == "/api/dues/orders":
        if isinstance(body.get("bill_ids"), list):
            chosen = data.draw(st.lists(st.sampled_from(world.bill_ids), max_size=4, unique=True), label="bills")
            body["bill_ids"] = _pick(data, "bill ids", [chosen], body["bill_ids"])
    else:
        _realistic_scan(case, body, data, world)


def _realistic_newspaper_query(case, data, world: World) -> None:
    """A forward's token (李四's, so 张三 opens a forward), a page's cursor: mostly real ones."""
    query = case.query
    if _generated_invalid(case, ParameterLocation.QUERY) or not isinstance(query, dict):
        return
    if isinstance(query.get("share"), str) and case.path_parameters:
        article_id = case.path_parameters.get("article_id")
        if isinstance(article_id, int):
            tokens = [reads.share_token(member_id, article_id) for member_id in world.member_ids]
            query["share"] = _pick(data, "share token", tokens, query["share"])
    if isinstance(query.get("cursor"), str):
        query["cursor"] = _pick(data, "cursor", [f"{int(time.time() * 1_000_000)}-{2**31 - 1}"], query["cursor"])


def _realistic_quiz_path(path: dict, data, world: World) -> None:
    """Real quizzes and attempts (one's own and another branch member's), and positions in the paper."""
    if isinstance(path.get("quiz_id"), int):
        path["quiz_id"] = _pick(data, "quiz", world.quiz_ids, path["quiz_id"])
    if isinstance(path.get("attempt_id"), int):
        path["attempt_id"] = _pick(data, "attempt", world.attempt_ids, path["attempt_id"])
    if isinstance(path.get("position"), int):
        path["position"] = _pick(data, "position", [1, 2, 5, 6], path["position"])


def _realistic_binding(body: dict, data, world: World) -> None:
    """Fresh wx.login and phone codes from the WeChat emulator, signed bind tickets, the real invite code."""
    users = [*WECHAT_USERS.values(), NEWCOMER]
    if isinstance(body.get("code"), str):
        body["code"] = _pick(data, "wx.login code", [world.wechat.login_code(user) for user in users], body["code"])
    if isinstance(body.get("bind_ticket"), str):
        tickets = [_ticket_serializer().dumps({"openid": world.wechat.openid(user)}) for user in users]
        body["bind_ticket"] = _pick(data, "bind ticket", [tickets[-1]] * 3 + tickets, body["bind_ticket"])
    if isinstance(body.get("phone_code"), str):
        phones = [NEWCOMER_PHONE] * 3 + ["13900000001", "13800000000"]  # unbound; bound already; not in the register
        granted = [world.wechat.phone_code(NEWCOMER, phone) for phone in phones]
        body["phone_code"] = _pick(data, "phone code", granted, body["phone_code"])
    if isinstance(body.get("invite_code"), str):
        body["invite_code"] = _pick(data, "invite code", [world.invite[0]], body["invite_code"])
    if isinstance(body.get("name"), str):
        body["name"] = _pick(data, "name", [world.invite[1]], body["name"])


def _realistic_scan(case, body: dict, data, world: World) -> None:
    """Mostly the kind of code the operation takes (the meeting's own, or a member's personal code), read
    at the venue or half a degree away."""
    if isinstance(body.get("code"), str):
        meeting = next((m for m in world.meetings.values() if m.id == case.path_parameters.get("meeting_id")), None)
        meeting_codes = [codes.meeting_code(meeting)] if meeting is not None else []
        member_codes = [codes.member_code(member_id) for member_id in world.member_ids]
        scanning = case.path.endswith("/scan-member")
        live = member_codes * 2 + meeting_codes if scanning else meeting_codes * 4 + member_codes
        body["code"] = _pick(data, "code", live, body["code"])
    if isinstance(body.get("latitude"), float):
        body["latitude"] = _pick(data, "latitude", [VENUE[0], VENUE[0] + 0.5], body["latitude"])
    if isinstance(body.get("longitude"), float):
        body["longitude"] = _pick(data, "longitude", [VENUE[1]], body["longitude"])


def _realistic_meeting_form(body: dict, data, world: World) -> None:
    """Mostly the secretary's own branch and party group, a coming day, times in order, a whole geofence."""
    if isinstance(body.get("organiser_id"), int):
        organisers = [world.home_org_ids[0]] * 3 + world.org_ids
        body["organiser_id"] = _pick(data, "organiser", organisers, body["organiser_id"])
    if isinstance(body.get("participant_ids"), list):
        home = data.draw(st.lists(st.sampled_from(world.home_org_ids), max_size=3), label="home participants")
        anywhere = data.draw(st.lists(st.sampled_from(world.org_ids), max_size=3), label="participants")
        body["participant_ids"] = _pick(data, "participant_ids", [home, home, anywhere], body["participant_ids"])
    if isinstance(body.get("starts"), str) and isinstance(body.get("ends"), str):
        times = [("09:00", "11:30"), ("19:00:00", "21:00:00"), ("09:00", "11:30"), ("14:00", "14:00")]
        body["starts"], body["ends"] = _pick(data, "times", times, (body["starts"], body["ends"]))
    if isinstance(body.get("day"), str):
        coming = [(local_today() + timedelta(days=days)).isoformat() for days in (1, 7, 1, 0)]
        body["day"] = _pick(data, "day", coming, body["day"])
    geofence = ("geo_lat", "geo_lng", "geo_radius_m")
    if any(key in body for key in geofence):
        fences = [(None, None, None), (*VENUE, 200)]
        chosen = _pick(data, "geofence", fences, tuple(body.get(key) for key in geofence))
        body.update(zip(geofence, chosen, strict=True))


def _messages(value: Any) -> Iterator[Any]:
    """Every message in an error's ``fields``, however nested (a list's items, a nested object's fields)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _messages(item)
    elif isinstance(value, list):
        for item in value:
            yield from _messages(item)
    else:
        yield value


def _assert_error_shape(response) -> None:
    """``{"error": {"code": str, "message": str, "fields"?: {...}}}``, every message in Chinese."""
    if response.status_code < 400:
        return
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"code", "message", "fields"}, error
    assert isinstance(error.get("code"), str) and error["code"], error
    assert isinstance(error.get("fields", {}), dict), error
    for message in [error.get("message"), *_messages(error.get("fields", {}))]:
        assert isinstance(message, str) and CHINESE.search(message), error


@schema.parametrize()
@schema.given(data=st.data())
# The fixtures are per operation, not per example: each example puts the database back itself.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_fuzz(case, data, app: Flask, fuzz_world: World, fuzz_stats: FuzzStats) -> None:
    operation = f"{case.method.upper()} {case.path}"
    favoured = "secretary" if SECRETARY_MODE.search(case.path) else "member"
    caller = _pick(data, "caller", [favoured], data.draw(st.sampled_from(CALLERS), label="any caller"))
    _realistic(case, data, fuzz_world)

    case.operation.schema.app = app  # so that checks sending requests of their own reach it as well

    def send_and_check():
        headers = fuzz_world.headers(caller)
        try:
            response = case.call(app=app, headers=headers)
        except Exception:
            fuzz_stats.record(operation, 500)  # TESTING propagates the exception a server would turn into a 500
            raise
        fuzz_stats.record(operation, response.status_code)
        # Checks that send a request of their own (the same without credentials, say) go to the same app.
        case.validate_response(response, headers=headers, transport_kwargs={"app": app, "headers": headers})
        _assert_error_shape(response)

    try:
        # An empty context per request, as on a real server (see tests/conftest.py IsolatedClient).
        contextvars.Context().run(send_and_check)
    finally:
        if case.method.upper() != "GET":
            fuzz_world.snapshot.restore()
        if case.path.startswith("/api/auth/"):
            limiter.reset()
