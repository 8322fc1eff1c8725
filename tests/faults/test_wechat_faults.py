"""WeChat failing under each call we make: busy, rate limits, a bad code, a failing gateway, a hang.

Members get a Chinese answer with a stable code (never a 500) within the read timeout; secretaries get a
Chinese error page; the reminder job asks again later only when WeChat said it did nothing, and never
reminds one member twice.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from server import wechat
from server.db import utcnow
from server.meetings.tasks import queue_meeting_reminders, queue_reminders
from server.tasks import huey, run_pending_jobs
from server.wechat.client import WeChatMiniProgram
from server.wechat.emulator.testing import RunningEmulator
from tests.faults.conftest import SEND, messages_per_member
from tests.faults.processes import wait_until

LOGIN = "/sns/jscode2session"
PHONE = "/wxa/business/getuserphonenumber"
POSTER = "/wxa/getwxacodeunlimit"
READ_TIMEOUT = 1.0  # short, yet long enough for a code image on a busy test machine
HANG = 3.0  # how long WeChat takes to answer when it hangs: well past the read timeout
CHINESE = re.compile(r"[\u4e00-\u9fff]")

Fault = Callable[..., None]
FAULTS: dict[str, Fault] = {
    "busy": lambda emulator, path, **kw: emulator.fail_next(path, -1, "system error", **kw),
    "minute_quota": lambda emulator, path, **kw: emulator.fail_next(path, 45011, "api minute-quota reach limit", **kw),
    "daily_quota": lambda emulator, path, **kw: emulator.fail_next(
        path, 45009, "reach max api daily quota limit", **kw
    ),
    "bad_code": lambda emulator, path, **kw: emulator.fail_next(path, 40029, "invalid code", **kw),
    "gateway_error": lambda emulator, path, **kw: emulator.fail_next_http(path, 502, **kw),
    "hang": lambda emulator, path, **kw: emulator.delay_next(path, HANG, **kw),
}

#: what a member's phone is told (status, code) when WeChat fails during login or binding
MEMBER_ANSWERS = {
    "busy": (503, "wechat_unavailable"),
    "minute_quota": (429, "wechat_rate_limited"),  # WeChat counts this member's logins: it is theirs to wait
    "daily_quota": (503, "wechat_unavailable"),  # the whole mini-program's quota: not the member's doing
    "bad_code": (400, "wechat_code_invalid"),
    "gateway_error": (503, "wechat_unavailable"),
    "hang": (503, "wechat_unavailable"),
}


@pytest.fixture
def impatient_wechat(app: Flask, monkeypatch) -> Iterator[WeChatMiniProgram]:
    """The app's WeChat client as built from a short WECHAT_READ_TIMEOUT."""
    monkeypatch.setitem(app.config, "WECHAT_READ_TIMEOUT", READ_TIMEOUT)
    monkeypatch.setitem(app.extensions, "wechat", app.extensions["wechat"])  # put back afterwards
    client = wechat.init_app(app)
    yield client
    client.close()


def assert_member_answer(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    assert CHINESE.search(error["message"]), error


@pytest.mark.parametrize("fault", FAULTS)
def test_logging_in_while_wechat_fails(fault, client, emulator: RunningEmulator, impatient_wechat) -> None:
    code = emulator.login_code("wx-faults-login")
    FAULTS[fault](emulator, LOGIN)
    started = time.monotonic()
    response = client.post("/api/auth/login", json={"code": code})
    assert time.monotonic() - started < HANG  # nobody waits for a hung WeChat longer than the read timeout
    assert_member_answer(response, *MEMBER_ANSWERS[fault])
    assert client.post("/api/auth/login", json={"code": emulator.login_code("wx-faults-login")}).status_code == 200


def test_an_error_we_do_not_expect_from_wechat_is_a_502_naming_its_code(client, emulator: RunningEmulator) -> None:
    code = emulator.login_code("wx-faults-login")
    emulator.fail_next(LOGIN, 40013, "invalid appid")

    response = client.post("/api/auth/login", json={"code": code})

    assert_member_answer(response, 502, "wechat_error")
    assert "40013" in response.get_json()["error"]["message"]  # what the secretary quotes to support


@pytest.mark.parametrize("fault", FAULTS)
def test_binding_by_phone_number_while_wechat_fails(
    fault, phone, emulator: RunningEmulator, tree, make_member, impatient_wechat
) -> None:
    make_member(tree["a1"], "张三", phone="13812345678")
    zhangsan = phone("wx-faults-bind")
    ticket = zhangsan.bind_ticket()
    FAULTS[fault](emulator, PHONE)
    started = time.monotonic()
    response = zhangsan.bind_phone("13812345678", ticket)
    assert time.monotonic() - started < HANG
    assert_member_answer(response, *MEMBER_ANSWERS[fault])
    assert zhangsan.bind_phone("13812345678", ticket).status_code == 200  # nothing was half done


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ("busy", 503),
        ("minute_quota", 503),
        ("daily_quota", 503),
        ("bad_code", 502),
        ("gateway_error", 503),
        ("hang", 503),
    ],
)
def test_the_meeting_poster_while_wechat_fails(
    fault, status, secretary, meeting_tomorrow, emulator: RunningEmulator, impatient_wechat
) -> None:
    poster = f"/admin/meetings/{meeting_tomorrow.id}/poster.png"
    FAULTS[fault](emulator, POSTER)
    page = secretary.get(poster)
    assert page.status_code == status
    assert page.content_type.startswith("text/html")
    assert "微信" in page.get_data(as_text=True)
    assert secretary.get(poster).content_type == "image/png"


# -- the reminder the day before -------------------------------------------------------------------


def retry_delay() -> timedelta:
    """How long from now the reminder job's one scheduled retry will run."""
    [retry] = huey.scheduled()
    return retry.eta - datetime.now(UTC).replace(tzinfo=None)  # Huey keeps naive UTC times


def run_scheduled_retry() -> None:
    """Run the reminder job's scheduled retry now, as the worker would once its time has come."""
    [retry] = huey.scheduled()
    for task in huey.read_schedule(retry.eta):
        huey.execute(task, retry.eta)


#: fault on the second member's reminder → (reminders that member ends up with, whether the job retries)
REMINDER_OUTCOMES = {
    "busy": (1, True),
    "minute_quota": (1, True),
    "daily_quota": (1, True),
    "bad_code": (0, False),  # refused for good: logged, not repeated
    "gateway_error": (0, False),  # the gateway may have passed it on: repeating it could remind twice
    "hang": (1, False),  # we gave up waiting, WeChat delivered it all the same: repeating it would remind twice
}


@pytest.mark.parametrize("fault", FAULTS)
def test_the_reminder_job_while_wechat_fails(
    fault, bound_members, meeting_tomorrow, emulator: RunningEmulator, impatient_wechat
) -> None:
    openids = bound_members(2)
    FAULTS[fault](emulator, SEND, after=1)  # the first member's reminder goes out, the second one's meets the fault
    queue_meeting_reminders.call_local()
    run_pending_jobs()
    expected, retried = REMINDER_OUTCOMES[fault]
    assert len(huey.scheduled()) == retried
    if retried:
        assert retry_delay() >= timedelta(seconds=50)
        run_scheduled_retry()
    if fault == "hang":
        wait_until(lambda: emulator.messages(openids[1]), HANG * 5, "WeChat to deliver the late message")

    assert messages_per_member(emulator, openids) == [1, expected]
    assert queue_reminders(now=utcnow() + timedelta(hours=1)) == []  # nobody is left to remind


def test_a_busy_wechat_is_asked_again_later_each_time(bound_members, meeting_tomorrow, emulator: RunningEmulator):
    [openid] = bound_members(1)
    emulator.fail_next(SEND, -1, "system error", times=2)
    queue_meeting_reminders.call_local()
    run_pending_jobs()
    first = retry_delay()
    run_scheduled_retry()
    second = retry_delay()
    run_scheduled_retry()
    assert timedelta(seconds=50) < first and second > first * 1.5
    assert not huey.scheduled()
    assert len(emulator.messages(openid)) == 1
