"""Admin login under attack: growing waits per account, per address and per (account, address), one answer
for every refusal, and no way for a stranger to keep a secretary out of the admin.

The waits are read against a clock the tests stop and move forward (``later``); the rate limiter's
storage holds the counts, so the same tests run on memory and on Redis.
"""

from __future__ import annotations

import logging
import re
import time

import pytest

from server.auth import admin_services
from server.auth.models import Role
from tests.conftest import PASSWORD, csrf_token

ATTACKER = "198.51.100.66"
OFFICE = "203.0.113.10"
WRONG = "wrong-password"


@pytest.fixture
def shuji(make_admin, tree):
    return make_admin("shuji", Role.SECRETARY, tree["a1"])


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> list[float]:
    """The login throttle's clock, stopped when the test starts: slow password hashing moves nothing."""
    from server.auth import throttle

    now = [time.time()]
    monkeypatch.setattr(throttle, "_now", lambda: now[0])
    return now


@pytest.fixture
def later(clock):
    """``later(seconds)``: from now on the login throttle's clock reads that many seconds after the start."""
    start = clock[0]

    def travel(seconds: float) -> None:
        clock[0] = start + seconds

    return travel


@pytest.fixture
def attempt(app):
    """``attempt(username, password, address)``: one login form submitted from ``address``, in a fresh browser."""

    def submit(username: str, password: str, address: str = ATTACKER):
        client = app.test_client()
        return client.post(
            "/admin/login",
            data={"username": username, "password": password, "csrf_token": csrf_token(client)},
            environ_base={"REMOTE_ADDR": address},
        )

    return submit


def answer(response) -> tuple[int, str]:
    """What the browser shows, without the per-session CSRF token."""
    page = response.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return response.status_code, page.replace(token.group(1), "<token>") if token else page


def test_failures_from_a_stranger_do_not_keep_the_secretary_out(shuji, attempt):
    assert attempt("shuji", PASSWORD, OFFICE).status_code == 302  # the secretary's usual office
    for _ in range(12):
        attempt("shuji", WRONG, ATTACKER)
    assert attempt("shuji", PASSWORD, OFFICE).status_code == 302


def test_a_stranger_cannot_tell_a_real_account_from_an_unknown_name(shuji, attempt):
    real = [answer(attempt("shuji", WRONG, "198.51.100.1")) for _ in range(8)]
    unknown = [answer(attempt("nobody", WRONG, "198.51.100.2")) for _ in range(8)]
    assert real == unknown
    assert {status for status, _ in real} == {401}
    assert "用户名或密码错误" in real[-1][1]


def test_right_password_while_waiting_gets_the_same_answer_then_works_after_the_wait(shuji, attempt, later):
    wrong = [answer(attempt("shuji", WRONG)) for _ in range(4)]
    assert len(set(wrong)) == 1  # the fourth failure starts a wait, and says nothing about it
    assert answer(attempt("shuji", PASSWORD)) == wrong[0]
    later(6)
    assert attempt("shuji", PASSWORD).status_code == 302


def test_each_further_failure_from_one_address_doubles_the_wait(shuji, attempt, later):
    for _ in range(3):
        attempt("shuji", WRONG)  # three free tries: a typo or two costs nothing
    offset = 0.0
    for wait in (5, 10, 20, 40):
        assert attempt("shuji", WRONG).status_code == 401
        later(offset + wait - 1)
        assert attempt("shuji", PASSWORD).status_code == 401, f"let in before the {wait} s wait ended"
        offset += wait + 1
        later(offset)
    assert attempt("shuji", PASSWORD).status_code == 302


def test_the_waits_double_with_each_failure_and_stop_growing_at_their_caps():
    from server.auth import throttle

    def schedule(policy, failures):
        return [policy.wait_after(n) for n in range(1, failures + 1)]

    # one address on one account: three free tries, then 5 s doubling up to 15 minutes
    assert schedule(throttle.PER_ACCOUNT_AND_ADDRESS, 13) == [0, 0, 0, 5, 10, 20, 40, 80, 160, 320, 640, 900, 900]
    # one account from anywhere: ten free, then 2 s doubling up to 5 minutes (a stranger cannot shut it for long)
    assert schedule(throttle.PER_ACCOUNT, 20) == [0] * 10 + [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    # one address over all names: ten free (an office shares one address), then 2 s doubling up to 15 minutes
    assert schedule(throttle.PER_ADDRESS, 21) == [0] * 10 + [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]


def test_failures_spread_over_many_addresses_slow_the_account_from_new_addresses_only(shuji, attempt, later):
    assert attempt("shuji", PASSWORD, OFFICE).status_code == 302
    for i in range(11):  # two per address: under the per-address limits, over the account's ten free
        attempt("shuji", WRONG, f"198.51.100.{i // 2 + 1}")
    later(1)
    assert attempt("shuji", PASSWORD, "192.0.2.200").status_code == 401  # a new address waits 2 s
    assert attempt("shuji", PASSWORD, OFFICE).status_code == 302  # where the secretary logged in before
    later(3)
    assert attempt("shuji", PASSWORD, "192.0.2.200").status_code == 302


def test_trying_many_names_from_one_address_slows_that_address(shuji, attempt, later):
    for i in range(11):  # ten free, then 2 s
        attempt(f"guess{i}", WRONG)
    later(1)
    assert attempt("shuji", PASSWORD).status_code == 401
    later(3)
    assert attempt("shuji", PASSWORD).status_code == 302


def test_addresses_in_one_ipv6_network_count_as_one(shuji, attempt):
    for i in range(4):
        attempt("shuji", WRONG, f"2001:db8:1:2::{i + 1}")
    assert attempt("shuji", PASSWORD, "2001:db8:1:2::99").status_code == 401
    assert attempt("shuji", PASSWORD, "2001:db8:1:3::1").status_code == 302


def test_a_successful_login_forgets_the_failures_of_its_address(shuji, attempt):
    for _ in range(3):
        attempt("shuji", WRONG)
    assert attempt("shuji", PASSWORD).status_code == 302
    for _ in range(3):
        attempt("shuji", WRONG)
    assert attempt("shuji", PASSWORD).status_code == 302  # three more free tries, not a wait


def test_the_operator_sees_the_throttling_in_the_log(shuji, attempt, caplog):
    caplog.set_level(logging.WARNING, logger="server.auth.throttle")
    for _ in range(5):
        attempt("shuji", WRONG)
    lines = [record.getMessage() for record in caplog.records if record.name == "server.auth.throttle"]
    assert any("shuji" in line and ATTACKER in line and "5 s" in line for line in lines), lines
    assert any("refused" in line for line in lines), lines


def test_every_refusal_costs_one_password_hash(shuji, attempt, monkeypatch):
    """Unknown names and attempts during a wait hash a dummy password: they take as long as a wrong one."""
    hashed = []
    real_verify = admin_services.verify_password
    monkeypatch.setattr(admin_services, "verify_password", lambda *args: hashed.append(1) or real_verify(*args))
    for username in ("shuji", "nobody", "shuji", "shuji", "shuji", "shuji"):  # the last comes during a wait
        hashed.clear()
        attempt(username, WRONG)
        assert hashed == [1]


def test_a_locked_or_disabled_account_answers_like_a_wrong_password(shuji, attempt):
    from datetime import timedelta

    from server.db import db, utcnow

    wrong = answer(attempt("nobody", WRONG, "198.51.100.1"))
    shuji.locked_until = utcnow() + timedelta(hours=1)
    db.session.commit()
    assert answer(attempt("shuji", PASSWORD, "198.51.100.2")) == wrong
    shuji.locked_until, shuji.active = None, False
    db.session.commit()
    assert answer(attempt("shuji", PASSWORD, "198.51.100.3")) == wrong


def test_one_address_may_submit_the_login_form_twenty_times_a_minute(attempt):
    """Each attempt costs a password hash: past this, the address gets a cheap 429 (it learns nothing)."""
    statuses = [attempt(f"guess{i}", WRONG).status_code for i in range(21)]
    assert statuses == [401] * 20 + [429]


def test_with_the_counts_unreachable_the_secretary_still_logs_in_and_the_operator_is_told(
    shuji, attempt, monkeypatch, caplog
):
    from server.auth import throttle
    from server.extensions import limiter

    class Unreachable:
        def __getattr__(self, name):
            raise limiter.storage.base_exceptions("the rate limiter's storage is down")

    monkeypatch.setattr(throttle, "_store", Unreachable)
    assert attempt("shuji", WRONG).status_code == 401
    assert attempt("shuji", PASSWORD).status_code == 302
    assert any("throttle unavailable" in record.getMessage() for record in caplog.records)
