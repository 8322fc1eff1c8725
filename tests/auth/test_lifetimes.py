"""How long each credential lives: an admin's web session, a member's token, a bind ticket, an invite code.

Each is checked on both sides of its end, so a lifetime off by any factor fails here.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from server.auth import member_services
from server.auth.models import Role
from server.db import db, utcnow


@pytest.fixture
def member(tree, make_member):
    return make_member(tree["a1"], "张三", phone="13812345678")


@pytest.fixture
def invite(app, member):
    _, code = member_services.issue_invite_code(member, None)
    db.session.commit()
    return code


@pytest.fixture
def days_later(monkeypatch):
    """``days_later(d)``: the members' sessions and invite codes are checked as if ``d`` days had passed."""
    real = utcnow

    def travel(days: float) -> None:
        monkeypatch.setattr(member_services, "utcnow", lambda: real() + timedelta(days=days))

    return travel


def test_an_admin_session_lasts_eight_hours(browser, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    cookie = browser("shuji").client.get_cookie("session")
    expected = datetime.now(UTC) + timedelta(hours=8)
    assert abs((cookie.expires - expected).total_seconds()) < 120


@pytest.mark.parametrize(("days", "status"), [(29.99, 200), (30.01, 401)])
def test_a_member_token_lasts_thirty_days(phone, member, invite, days_later, days, status):
    p = phone("wx-zhangsan")
    expires_at = datetime.fromisoformat(p.bind_invite(invite, "张三").get_json()["expires_at"])
    assert abs((expires_at - utcnow() - timedelta(days=30)).total_seconds()) < 120
    days_later(days)
    response = p.get("/api/me")
    assert response.status_code == status
    if status == 401:
        assert response.get_json()["error"]["code"] == "token_expired"


@pytest.mark.parametrize(("minutes_ago", "status"), [(9.9, 200), (10.1, 401)])
def test_a_bind_ticket_lasts_ten_minutes(phone, member, invite, monkeypatch, minutes_ago, status):
    p = phone("wx-zhangsan")
    real_time = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - minutes_ago * 60)
    ticket = p.bind_ticket()  # signed that long ago
    monkeypatch.undo()
    response = p.bind_invite(invite, "张三", ticket=ticket)
    assert response.status_code == status, response.get_json()
    if status == 401:
        assert response.get_json()["error"]["code"] == "bind_ticket_expired"


@pytest.mark.parametrize(("days", "status"), [(6.99, 200), (7.01, 400)])
def test_an_invite_code_lasts_seven_days(phone, member, invite, days_later, days, status):
    days_later(days)
    response = phone("wx-zhangsan").bind_invite(invite, "张三")
    assert response.status_code == status, response.get_json()
    if status == 400:
        assert response.get_json()["error"]["code"] == "invite_code_expired"
