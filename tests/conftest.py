"""Test fixtures: a real database (SQLite, or PostgreSQL when DATABASE_URL is set), a real job queue
(SQLite, or Redis when REDIS_URL is set) and the WeChat emulator on a real socket.

A server that was asked for but cannot be reached stops the run with an error; it never skips.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import json
import logging
import os
import pickle
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.workers import isolate_worker

isolate_worker()  # before the app reads DATABASE_URL / REDIS_URL
_TMP = Path(tempfile.mkdtemp(prefix="edangwu-test-"))
os.environ["INSTANCE_DIR"] = str(_TMP)
os.environ["JOBS_DB"] = str(_TMP / "jobs.db")
os.environ["HUEY_NAME"] = f"edangwu-test-{os.getpid()}"
os.environ.setdefault("SECRET_KEY", "test-secret-key")
# On PostgreSQL the suite is a deployment against the WeChat emulator: staging, not production, on purpose.
os.environ["EDANGWU_STAGING"] = "1"

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from server import create_app  # noqa: E402
from server.auth.admin_services import create_admin  # noqa: E402
from server.auth.models import AdminUser, Role  # noqa: E402
from server.config import database_url, redis_url  # noqa: E402
from server.db import db  # noqa: E402
from server.extensions import limiter  # noqa: E402
from server.members.models import DuesCategory, Gender, Member, MemberStatus  # noqa: E402
from server.members.schemas import clean_member_data  # noqa: E402
from server.members.services import create_member  # noqa: E402
from server.orgs.models import Organisation, OrgKind  # noqa: E402
from server.orgs.services import create_org  # noqa: E402
from server.tasks import huey, run_pending_jobs  # noqa: E402
from server.wechat.emulator.testing import RunningEmulator, running_emulator  # noqa: E402
from tests.database import USING_POSTGRES, Snapshot, empty_tables  # noqa: E402
from tests.hashing import hash_as_in_production  # noqa: E402  (and the suite's cheap password hashing)

PASSWORD = "Secret#2026"
TEMPLATES = {"tmpl_meeting": ["thing1", "time2", "thing3"]}
#: the check-in link prefix of the tests' deployment (mp_config `checkin_link_prefix`)
CHECKIN_LINK_PREFIX = "https://dangwu.example.cn/m/checkin"
USING_REDIS = redis_url() is not None


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_without_fsync(dbapi_connection, connection_record) -> None:
    """The suite's SQLite file is not synced to disk at each commit (production's is: server/db.py).

    Syncing only guards against the machine losing power; other connections and processes see the same
    data either way. It cost a few milliseconds on each of the suite's tens of thousands of commits.
    """
    if type(dbapi_connection).__module__ == "sqlite3":
        dbapi_connection.execute("PRAGMA synchronous=OFF")


def pytest_report_header(config) -> list[str]:
    return [f"database: {'PostgreSQL' if USING_POSTGRES else 'SQLite'}; jobs: {'Redis' if USING_REDIS else 'SQLite'}"]


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--database-dependent-only",
        action="store_true",
        help="leave out the tests whose outcome cannot depend on the database and queue (make test's second run)",
    )


#: Browser and phone-screen tests judge what a page shows and what runs in it. The queries behind every
#: page run on both databases in the admin tests, the authorization matrix and the query-string test.
_PAGE_TESTS = ("browser", "test_phone_screens.py")


def _same_on_every_database(item: pytest.Item) -> bool:
    """A test that never opens the app (rules, clients, the emulator, config checks), or one of a page's looks."""
    parts = item.path.relative_to(item.config.rootpath).parts
    return "app" not in item.fixturenames or (len(parts) > 1 and parts[1] in _PAGE_TESTS)


def pytest_collection_modifyitems(config, items: list[pytest.Item]) -> None:
    """`make test` runs the suite on SQLite, then again on PostgreSQL and Redis with --database-dependent-only:
    what cannot differ between them is not run twice (pytest reports them as deselected)."""
    if not config.getoption("database_dependent_only"):
        return
    once = [item for item in items if _same_on_every_database(item)]
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = [item for item in items if not _same_on_every_database(item)]


def _require_servers() -> None:
    """Fail the whole run when DATABASE_URL or REDIS_URL names a server we cannot reach."""
    if USING_POSTGRES:
        engine = sa.create_engine(database_url())
        try:
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as exc:
            pytest.exit(f"DATABASE_URL is set but PostgreSQL is unreachable: {exc}", returncode=3)
        finally:
            engine.dispose()
    if USING_REDIS:
        import redis

        try:
            redis.Redis.from_url(redis_url()).ping()  # type: ignore[arg-type]
        except redis.exceptions.ConnectionError as exc:
            pytest.exit(f"REDIS_URL is set but Redis is unreachable: {exc}", returncode=3)


class IsolatedClient(FlaskClient):
    """Each request runs in an empty context, as on a real server.

    Tests hold an app context for their own database work; without this, Flask would reuse it for
    the request and share ``g`` (the logged-in user, the CSRF token) and the database session.
    """

    def open(self, *args: Any, **kwargs: Any):
        return contextvars.Context().run(super().open, *args, **kwargs)


def _reset_schema(app: Flask) -> None:
    """Start from an empty database and build it with the real migrations."""
    from flask_migrate import upgrade

    with app.app_context():
        if USING_POSTGRES:
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()


@pytest.fixture(scope="session")
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator("wx_test_appid", "test_secret", TEMPLATES) as running:
        yield running


def _test_mp_config() -> str:
    """The tests' deployment: the test app id and the emulator's templates."""
    path = _TMP / "mp_config.json"
    templates = {
        "meeting_reminder": {
            "template_id": "tmpl_meeting",
            "page": "pages/home/index",
            "fields": {"thing1": "meeting_title", "time2": "starts_at", "thing3": "place"},
        }
    }
    config = {
        "app_id": "wx_test_appid",
        "server_url": "http://127.0.0.1:5000",
        "checkin_link_prefix": CHECKIN_LINK_PREFIX,
        "subscribe_templates": templates,
    }
    path.write_text(json.dumps(config))
    return str(path)


@pytest.fixture(scope="session")
def app(emulator: RunningEmulator) -> Iterator[Flask]:
    _require_servers()
    app = create_app(
        {
            "MP_CONFIG": _test_mp_config(),
            "TESTING": True,
            "WECHAT_API_BASE": emulator.base_url,
            "WECHATPAY_API_BASE": emulator.base_url,
            "WECHAT_APPID": "wx_test_appid",
            "WECHAT_SECRET": "test_secret",
            "SERVER_NAME": "localhost",
            # every test starts from its own data: a board kept from the previous test would be another's
            "LEADERBOARD_SHARED_S": 0,
        }
    )
    app.test_client_class = IsolatedClient
    _reset_schema(app)
    huey.flush()
    yield app
    huey.flush()
    with app.app_context():
        db.engine.dispose()  # close pooled connections before the interpreter warns about them


@pytest.fixture(autouse=True)
def _clean_state(request) -> Iterator[None]:
    """Every test that uses the app starts with empty tables, an empty queue and fresh rate limits."""
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    request.getfixturevalue("emulator").state.clear_failures()
    with app.app_context():
        empty_tables()
        huey.flush()
        limiter.reset()
        yield
        db.session.rollback()
        db.session.remove()


@contextlib.contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Held by one test process of the run at a time."""
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def demo_snapshot(app, request, tmp_path_factory) -> tuple[dict[str, str], Snapshot]:
    """The demo committee and its admin logins, seeded by the run's first test process that needs them.

    Seeding takes seconds (tens on a busy PostgreSQL); the other workers of the run read the rows from a
    file in the folder they share and write them into their own database.
    """
    worker = hasattr(request.config, "workerinput")
    shared = tmp_path_factory.getbasetemp().parent if worker else tmp_path_factory.getbasetemp()
    saved = shared / "demo-snapshot.pickle"
    with _exclusive(shared / "demo-snapshot.lock"):
        if saved.exists():
            return pickle.loads(saved.read_bytes())
        # Imported when first needed: it imports every domain's models, and the audit test lists the
        # audited models already imported when it is collected (tests/audit/test_every_entry_has_its_organisation.py).
        from server.demo import seed

        with app.app_context():
            empty_tables()
            accounts = seed(members_per_branch=12)
            db.session.commit()
            db.session.remove()
            demo = {username: password for username, password, _ in accounts}, Snapshot.take()
        saved.write_bytes(pickle.dumps(demo))
        return demo


@pytest.fixture
def demo(demo_snapshot) -> dict[str, str]:
    """The demo committee (what `make run` shows), as seeded, whatever the test before changed; the admin logins."""
    accounts, snapshot = demo_snapshot
    snapshot.restore()
    return accounts


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app on a real socket, for the browser and the mini-program's own client."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request in test output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def job_worker(app: Flask) -> Iterator[None]:
    """Runs queued jobs in the background while a test drives the app from outside, as the worker would."""
    stop = threading.Event()

    def work() -> None:
        with app.app_context():
            while not stop.is_set():
                run_pending_jobs()
                db.session.remove()
                stop.wait(0.2)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_org(app: Flask) -> Callable[..., Organisation]:
    def make(name: str, kind: OrgKind = OrgKind.BRANCH, parent: Organisation | None = None) -> Organisation:
        org = create_org(name, kind, parent)
        db.session.commit()
        return org

    return make


@pytest.fixture
def tree_builder(make_org) -> Callable[[], dict[str, Organisation]]:
    """Builds the standard tree: 党委 → 2 总支 → 甲一, 甲二 / 乙一 支部; 支部 甲一 has one group."""

    def build() -> dict[str, Organisation]:
        committee = make_org("测试党委", OrgKind.COMMITTEE)
        general_a = make_org("甲党总支", OrgKind.GENERAL_BRANCH, committee)
        general_b = make_org("乙党总支", OrgKind.GENERAL_BRANCH, committee)
        orgs = {"committee": committee, "general_a": general_a, "general_b": general_b}
        orgs["a1"] = make_org("甲一支部", OrgKind.BRANCH, general_a)
        orgs["a2"] = make_org("甲二支部", OrgKind.BRANCH, general_a)
        orgs["b1"] = make_org("乙一支部", OrgKind.BRANCH, general_b)
        orgs["a1_group"] = make_org("第一党小组", OrgKind.GROUP, orgs["a1"])
        return orgs

    return build


@pytest.fixture
def tree(tree_builder) -> dict[str, Organisation]:
    """党委 → 2 总支 → 2 支部 each; 支部 A1 has one group."""
    return tree_builder()


@pytest.fixture
def production_password_hashing(monkeypatch) -> None:
    """Passwords hashed and checked at the production cost (tests/hashing.py)."""
    hash_as_in_production(monkeypatch)


@pytest.fixture
def reset_database(app) -> Callable[[], None]:
    """Empty every table again in the middle of a test (ids start from 1 again)."""
    return empty_tables


VALID_ID_CARDS = ["11010519491231002X", "440524188001010014", "110101199003074477", "110101199003075777"]


@pytest.fixture
def make_member(app: Flask) -> Callable[..., Member]:
    counter = iter(range(1, 10_000))

    def make(org: Organisation, name: str | None = None, **fields: Any) -> Member:
        n = next(counter)
        data = {
            "name": name or f"党员{n}",
            "gender": Gender.MALE,
            "birth_date": date(1980, 1, 1),
            "phone": f"139{n:08d}",
            "join_date": date(2005, 7, 1),
            "full_member_date": date(2006, 7, 1),
            "status": MemberStatus.FULL,
            "dues_category": DuesCategory.EMPLOYED,
            "dues_base_yuan": Decimal("5000"),
            "org_id": org.id,
        } | fields
        member = create_member(clean_member_data(data))
        db.session.commit()
        return member

    return make


@pytest.fixture
def make_admin(app: Flask) -> Callable[..., AdminUser]:
    def make(username: str, role: Role = Role.SECRETARY, org: Organisation | None = None, **kw: Any) -> AdminUser:
        admin = create_admin(username, PASSWORD, kw.pop("display_name", username), role, org, **kw)
        db.session.commit()
        return admin

    return make


def csrf_token(client: FlaskClient, path: str = "/admin/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class AdminBrowser:
    """A logged-in admin's browser: posts forms with the page's CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = ""

    def login(self, username: str, password: str = PASSWORD):
        self.token = csrf_token(self.client)
        response = self.client.post(
            "/admin/login", data={"username": username, "password": password, "csrf_token": self.token}
        )
        self.token = csrf_token(self.client, "/admin/members/") if response.status_code == 302 else self.token
        return response

    def get(self, path: str, **kw: Any):
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict | None = None, **kw: Any):
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kw)


@pytest.fixture
def browser(app: Flask) -> Callable[[str], AdminBrowser]:
    """``browser("shuji")`` logs that account in on a fresh client."""

    def open_as(username: str, password: str = PASSWORD) -> AdminBrowser:
        b = AdminBrowser(app.test_client())
        response = b.login(username, password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return b

    return open_as


class Phone:
    """A member's phone: the emulator stands in for WeChat, the test client for the network."""

    def __init__(self, client: FlaskClient, emulator: RunningEmulator, user: str) -> None:
        self.client, self.emulator, self.user = client, emulator, user
        self.token: str | None = None

    def login(self):
        return self.client.post("/api/auth/login", json={"code": self.emulator.login_code(self.user)})

    def bind_ticket(self) -> str:
        body = self.login().get_json()
        assert body.get("bound") is False, body
        return body["bind_ticket"]

    def bind_invite(self, code: str, name: str, ticket: str | None = None):
        response = self.client.post(
            "/api/auth/bind/invite",
            json={"bind_ticket": ticket or self.bind_ticket(), "invite_code": code, "name": name},
        )
        self.token = (response.get_json() or {}).get("token") or self.token
        return response

    def bind_phone(self, phone: str, ticket: str | None = None):
        response = self.client.post(
            "/api/auth/bind/phone",
            json={
                "bind_ticket": ticket or self.bind_ticket(),
                "phone_code": self.emulator.phone_code(self.user, phone),
            },
        )
        self.token = (response.get_json() or {}).get("token") or self.token
        return response

    def get(self, path: str):
        return self.client.get(path, headers={"Authorization": f"Bearer {self.token}"})

    def post(self, path: str, json: Any = None):
        return self.client.post(path, json=json, headers={"Authorization": f"Bearer {self.token}"})


@pytest.fixture
def phone(client: FlaskClient, emulator: RunningEmulator) -> Callable[[str], Phone]:
    return lambda user: Phone(client, emulator, user)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """One Playwright per test process, shared by the browser tests and the phone screenshots: its sync API
    refuses to start a second time while one is running in the same process."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running
