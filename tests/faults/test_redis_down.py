"""Redis stopped under a running web process and job worker, then started again; neither is restarted.

Redis holds four things in production: admin sessions, rate-limit counters, the shared WeChat access token
and the job queue. What each user sees while it is down:

- members (bearer tokens in the database) keep logging in, binding and checking in: rate limits are
  counted in each process's memory and the WeChat token is kept there until Redis is back;
- secretaries get a Chinese "服务暂时不可用" page (their sessions are in Redis), the API the same in JSON;
- a job that cannot be queued is not lost: the import stays "排队中" and is queued again by the sweep.

The Redis here is a throwaway redis-server of our own; the machine's Redis is never touched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from flask import Flask
from huey.storage import RedisStorage

from server.auth.models import Role
from server.db import utcnow
from server.meetings.tasks import queue_meeting_reminders, queue_reminders
from server.members.tasks import requeue_stalled_imports
from server.tasks import huey, run_pending_jobs
from server.wechat.emulator.testing import RunningEmulator
from tests.conftest import PASSWORD
from tests.faults.conftest import (
    IMPORT,
    environment_for,
    import_row,
    member_names,
    messages_per_member,
    register_workbook,
    upload_register,
)
from tests.faults.processes import FlaskProcess, RedisServer, free_port, wait_until

UNAVAILABLE = "服务暂时不可用"


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@dataclass
class Stack:
    url: str
    web: FlaskProcess
    worker: FlaskProcess


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


@pytest.fixture(scope="module")
def stack(app: Flask, emulator: RunningEmulator, redis_server: RedisServer, tmp_path_factory) -> Iterator[Stack]:
    """The web server and a job worker, configured by REDIS_URL for the throwaway Redis, as deployed."""
    logs: Path = tmp_path_factory.mktemp("logs")
    env = environment_for(app, emulator, REDIS_URL=redis_server.url(), REDIS_TIMEOUT="1")
    port = free_port()
    serve = ["run", "--host", "127.0.0.1", "--port", str(port), "--no-reload", "--no-debugger", "--with-threads"]
    web = FlaskProcess(serve, env, logs / "web.log")
    worker = FlaskProcess(["worker", "--workers", "1", "--no-periodic"], env, logs / "worker.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(url) or not web.running, 300, "the web process to start")
        assert web.running, web.output()
        yield Stack(url, web, worker)
    finally:
        web.stop()
        worker.stop()


@pytest.fixture
def redis_down(redis_server: RedisServer) -> Iterator[Callable[[], None]]:
    """``redis_down()`` kills the throwaway Redis; it is started again when the test ends, whatever happens."""
    yield redis_server.stop
    if not redis_server.answers():
        redis_server.start()


def admin_login(browser: requests.Session, url: str, username: str) -> None:
    page = browser.get(f"{url}/admin/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    assert browser.post(f"{url}/admin/login", data=form, allow_redirects=False).status_code == 302


def assert_unavailable_page(page: requests.Response) -> None:
    assert page.status_code == 503, page.text
    assert page.headers["Content-Type"].startswith("text/html")
    assert UNAVAILABLE in page.text
    assert "Traceback" not in page.text and "Internal Server Error" not in page.text


def test_secretaries_get_a_chinese_page_while_redis_is_down_and_carry_on_after(
    stack: Stack, redis_server: RedisServer, redis_down, make_admin, tree
) -> None:
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    with requests.Session() as browser, requests.Session() as stranger:
        admin_login(browser, stack.url, "shuji")
        assert browser.get(f"{stack.url}/admin/members/").status_code == 200

        redis_down()
        assert_unavailable_page(browser.get(f"{stack.url}/admin/members/"))
        assert_unavailable_page(browser.get(f"{stack.url}/admin/members/", headers={"HX-Request": "true"}))
        assert_unavailable_page(stranger.get(f"{stack.url}/admin/login"))  # a new session cannot be kept either
        as_json = browser.get(f"{stack.url}/admin/members/", headers={"Accept": "application/json"})
        assert as_json.status_code == 503
        assert as_json.json()["error"]["code"] == "service_unavailable"
        assert UNAVAILABLE in as_json.json()["error"]["message"]

        redis_server.start()
        assert browser.get(f"{stack.url}/admin/members/").status_code == 200  # same session, same web process


def _bind_phone(url: str, emulator: RunningEmulator, user: str, phone: str | None) -> requests.Response:
    ticket = requests.post(f"{url}/api/auth/login", json={"code": emulator.login_code(user)}).json()["bind_ticket"]
    code = emulator.phone_code(user, phone) if phone else "a-code-wechat-never-issued"
    return requests.post(f"{url}/api/auth/bind/phone", json={"bind_ticket": ticket, "phone_code": code})


def test_members_log_in_and_bind_while_redis_is_down_with_rate_limits_still_counted(
    stack: Stack, redis_server: RedisServer, redis_down, emulator: RunningEmulator, make_member, tree
) -> None:
    make_member(tree["a1"], "张三", phone="13800000001")
    make_member(tree["a1"], "李四", phone="13800000002")

    redis_down()
    bound = _bind_phone(stack.url, emulator, "wx-redis-zhangsan", "13800000001")
    assert bound.status_code == 200, bound.text  # the WeChat token is kept in memory meanwhile
    me = requests.get(f"{stack.url}/api/me", headers={"Authorization": f"Bearer {bound.json()['token']}"})
    assert me.status_code == 200 and me.json()["name"] == "张三"
    answers = [_bind_phone(stack.url, emulator, "wx-redis-guesser", None) for _ in range(6)]
    assert [answer.status_code for answer in answers] == [400] * 5 + [429]  # counted in this process meanwhile
    assert answers[-1].json()["error"] == {"code": "rate_limited", "message": "操作过于频繁，请稍后再试"}

    redis_server.start()
    with redis_server.client() as shared:
        for key in [*shared.scan_iter("LIMITS*"), *shared.scan_iter("wechatpy:*")]:
            shared.delete(key)  # left from before: what appears now was written after the restart
        # The limiter looks for Redis again after a back-off of 1, 2, 4… seconds, then counts there again.
        back = lambda: _login(stack.url, emulator) and shared.keys("LIMITS*")  # noqa: E731
        wait_until(back, 60, "rate limits counted on Redis again", interval=2)
        assert _bind_phone(stack.url, emulator, "wx-redis-lisi", "13800000002").status_code == 200
        assert shared.keys("wechatpy:*"), "the WeChat access token is shared through Redis again"


def _login(url: str, emulator: RunningEmulator) -> bool:
    """One member login; polled every 2 seconds, under the login limit of 30 a minute."""
    response = requests.post(f"{url}/api/auth/login", json={"code": emulator.login_code("wx-redis-poller")})
    assert response.status_code == 200, response.text
    return True


@pytest.fixture
def queue_on(monkeypatch) -> Iterator[Callable[[str], None]]:
    """``queue_on(url)``: this test process queues jobs on that Redis, as REDIS_URL would make it at start-up."""
    storages = []

    def point(url: str) -> None:
        storage = RedisStorage(huey.name, url=url)  # what RedisHuey builds from REDIS_URL
        storages.append(storage)
        monkeypatch.setattr(huey, "storage", storage)

    yield point
    for storage in storages:
        storage.pool.disconnect()


def test_an_import_uploaded_while_the_queue_is_down_is_run_once_it_is_back(
    stack: Stack, redis_server: RedisServer, redis_down, queue_on, secretary, app: Flask
) -> None:
    queue_on(redis_server.url())  # the stack's queue
    redis_down()
    import_id = upload_register(secretary, register_workbook(30))  # the upload is kept, not a 500
    assert "排队中" in secretary.get(f"{IMPORT}/{import_id}").get_data(as_text=True)
    redis_server.start()

    assert requeue_stalled_imports(now=utcnow()) == []  # a queue may just be slow: not yet
    later = utcnow() + timedelta(minutes=app.config["JOB_LEASE_MINUTES"], seconds=1)
    assert requeue_stalled_imports(now=later) == [import_id]
    # The worker, running all along, takes it from the queue as soon as Redis answers again.
    wait_until(lambda: import_row(import_id).status == "done", 60, lambda: f"the import\n{stack.worker.output()}")
    assert len(member_names()) == 30


def test_reminders_due_while_the_queue_is_down_go_out_once_it_is_back(
    redis_server: RedisServer, redis_down, queue_on, bound_members, meeting_tomorrow, emulator, app: Flask
) -> None:
    openids = bound_members(2)
    queue_on(redis_server.url(db=1))  # a queue of its own: the stack's worker must not run these jobs
    redis_down()
    queue_meeting_reminders.call_local()  # the periodic job itself copes: nothing is lost
    redis_server.start()

    assert run_pending_jobs() == 0 and messages_per_member(emulator, openids) == [0, 0]
    later = utcnow() + timedelta(minutes=app.config["JOB_LEASE_MINUTES"], seconds=1)
    assert queue_reminders(now=later) == [meeting_tomorrow.id]
    assert run_pending_jobs() == 1
    assert messages_per_member(emulator, openids) == [1, 1]
    assert queue_reminders(now=later + timedelta(minutes=30)) == []


def test_the_health_check_names_redis_down_but_keeps_the_instance_in_rotation(
    stack: Stack, redis_server: RedisServer, redis_down
) -> None:
    assert requests.get(f"{stack.url}/healthz", timeout=5).json() == {
        "ok": True,
        "checks": {"database": "ok", "jobs": "ok"},
    }
    redis_down()
    answer = requests.get(f"{stack.url}/healthz", timeout=5)
    assert answer.status_code == 200  # members still check in here: every instance shares this Redis
    assert answer.json() == {"ok": False, "checks": {"database": "ok", "jobs": "down"}}
    redis_server.start()
    assert requests.get(f"{stack.url}/healthz", timeout=5).json()["ok"] is True
