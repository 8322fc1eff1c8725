"""Admin login: argon2 passwords, server-side sessions, CSRF, lockout after repeated failures."""

from __future__ import annotations

import sqlalchemy as sa

from server.audit.models import AuditLog
from server.auth.models import AdminUser, Role
from server.db import db
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


def test_account_locks_after_five_failures_even_with_the_right_password(client, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    b = AdminBrowser(client)
    for _ in range(5):
        assert b.login("shuji", "wrong-password").status_code == 401
    response = b.login("shuji", PASSWORD)
    assert response.status_code == 423
    assert "已锁定" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(AdminUser.locked_until)) is not None


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


def test_next_parameter_cannot_send_the_user_to_another_site(client, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    token = csrf_token(client)
    response = client.post(
        "/admin/login?next=https://evil.example/", data={"username": "shuji", "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"].endswith("/admin/")


def test_login_gives_a_new_session_id(client, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    token = csrf_token(client)
    before = client.get_cookie("session").value
    client.post("/admin/login", data={"username": "shuji", "password": PASSWORD, "csrf_token": token})
    assert client.get_cookie("session").value != before
