"""Admin login: argon2 passwords, server-side sessions, CSRF; accounts an operator locks or disables.

Guessing passwords is slowed by growing waits: tests/auth/test_login_throttle.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.audit.models import AuditLog
from server.auth.models import Role
from server.db import db, utcnow
from tests.conftest import PASSWORD, AdminBrowser, csrf_token


def test_secretary_logs_in_and_sees_their_scope(browser, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"], display_name="王书记")
    page = browser("shuji").get("/admin/").get_data(as_text=True)
    assert "王书记" in page and "甲一支部" in page


def test_password_is_stored_as_argon2(make_admin, tree):
    admin = make_admin("shuji", Role.SECRETARY, tree["a1"])
    assert admin.password_hash.startswith("$argon2id$")
    assert PASSWORD not in admin.password_hash


def test_wrong_password_is_refused_with_a_chinese_message(client, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    b = AdminBrowser(client)
    response = b.login("shuji", "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_unknown_username_answers_like_a_wrong_password(client):
    response = AdminBrowser(client).login("nobody", "whatever")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    response = client.post("/admin/login", data={"username": "shuji", "password": PASSWORD})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_admin_form_without_csrf_token_is_refused(browser, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    b = browser("shuji")
    response = b.client.post(f"/admin/orgs/{tree['a1'].id}/rename", data={"name": "改名"})
    assert response.status_code == 400
    db.session.expire_all()
    assert tree["a1"].name == "甲一支部"


def test_session_lives_on_the_server_and_logout_ends_it(browser, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    b = browser("shuji")
    cookie = b.client.get_cookie("session")
    assert cookie is not None and "admin_id" not in cookie.value  # only an id travels
    b.post("/admin/logout")
    assert b.get("/admin/").status_code == 302


def test_changing_the_password_ends_other_sessions(browser, make_admin, tree):
    from server.auth.passwords import hash_password

    admin = make_admin("shuji", Role.SECRETARY, tree["a1"])
    b = browser("shuji")
    admin.password_hash = hash_password("another-password")
    db.session.commit()
    assert b.get("/admin/").status_code == 302


def test_login_is_audited(browser, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    browser("shuji")
    assert db.session.scalar(sa.select(AuditLog.action).where(AuditLog.action == "admin.login")) == "admin.login"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_next_parameter_cannot_send_the_user_to_another_site(client, make_admin, tree, target):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    token = csrf_token(client)
    response = client.post(
        "/admin/login",
        query_string={"next": target},
        data={"username": "shuji", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/admin/")


def test_login_gives_a_new_session_id(client, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    token = csrf_token(client)
    before = client.get_cookie("session").value
    client.post("/admin/login", data={"username": "shuji", "password": PASSWORD, "csrf_token": token})
    assert client.get_cookie("session").value != before


def test_a_session_id_planted_before_login_is_not_logged_in(client, app, make_admin, tree):
    """Session fixation: an attacker who set the victim's cookie before login must not share the login."""
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    token = csrf_token(client)
    planted = client.get_cookie("session").value
    client.post("/admin/login", data={"username": "shuji", "password": PASSWORD, "csrf_token": token})
    attacker = app.test_client()
    attacker.set_cookie("session", planted, domain="localhost")
    assert attacker.get("/admin/").status_code == 302
    assert client.get("/admin/").status_code == 200


def _lock(admin) -> None:
    admin.locked_until = utcnow() + timedelta(hours=1)


def _disable(admin) -> None:
    admin.active = False


@pytest.mark.parametrize("change", [_lock, _disable])
def test_locking_or_disabling_an_account_ends_its_open_sessions_at_once(browser, make_admin, tree, change):
    admin = make_admin("shuji", Role.SECRETARY, tree["a1"])
    b = browser("shuji")
    change(admin)
    db.session.commit()
    assert b.get("/admin/").status_code == 302


def test_the_operator_locks_and_unlocks_an_account_from_the_command_line(app, client, make_admin, tree):
    admin = make_admin("shuji", Role.SECRETARY, tree["a1"])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lock-admin", "shuji", "--hours", "2"])
    assert result.exit_code == 0, result.output
    assert "已锁定" in result.output
    db.session.expire_all()
    assert abs((admin.locked_until - utcnow() - timedelta(hours=2)).total_seconds()) < 60
    assert AdminBrowser(client).login("shuji").status_code == 401

    assert runner.invoke(args=["lock-admin", "shuji", "--hours", "0"]).exit_code == 0
    db.session.expire_all()
    assert admin.locked_until is None
    assert AdminBrowser(app.test_client()).login("shuji").status_code == 302
    actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.action == "admin_user.update")).all()
    assert len(actions) == 2


def test_the_operator_disables_and_enables_an_account_from_the_command_line(app, client, make_admin, tree):
    admin = make_admin("shuji", Role.SECRETARY, tree["a1"])
    runner = app.test_cli_runner()
    assert runner.invoke(args=["disable-admin", "shuji"]).exit_code == 0
    db.session.expire_all()
    assert admin.active is False
    assert runner.invoke(args=["disable-admin", "shuji", "--enable"]).exit_code == 0
    db.session.expire_all()
    assert admin.active is True
    assert runner.invoke(args=["disable-admin", "nobody"]).exit_code != 0


def test_an_unknown_account_is_named_in_the_command_lines_refusal(app):
    from server.auth.admin_services import get_admin_by_username
    from server.errors import AppError

    result = app.test_cli_runner().invoke(args=["lock-admin", "nobody"])
    assert result.exit_code == 1 and "没有用户名为“nobody”的管理账号" in result.output
    with pytest.raises(AppError) as error:
        get_admin_by_username("nobody")
    assert (error.value.code, error.value.status) == ("admin_not_found", 404)


def test_a_lock_shorter_than_an_hour_still_locks(app, make_admin, tree):
    admin = make_admin("shuji", Role.SECRETARY, tree["a1"])
    result = app.test_cli_runner().invoke(args=["lock-admin", "shuji", "--hours", "0.5"])
    assert "已锁定账号 shuji 0.5 小时" in result.output
    db.session.expire_all()
    assert abs((admin.locked_until - utcnow() - timedelta(minutes=30)).total_seconds()) < 60
    assert AdminBrowser(app.test_client()).login("shuji").status_code == 401
