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
    refusal = '<p class="error" data-code="bad_credentials">用户名或密码错误；多次输错后需稍等片刻才能再试</p>'
    assert refusal in response.get_data(as_text=True)
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


def create_from_command_line(app, *args: str, password: str = PASSWORD):
    return app.test_cli_runner().invoke(args=["create-admin", *args], input=f"{password}\n{password}\n")


def test_the_operator_creates_an_account_from_the_command_line(app, make_admin, tree):
    from server.auth.models import AdminUser

    a1 = str(tree["a1"].id)
    result = create_from_command_line(app, "shuji", "--name", "王书记", "--role", "secretary", "--org-id", a1)
    assert result.exit_code == 0, result.output
    assert "已创建账号 shuji" in result.output
    admin = db.session.scalar(sa.select(AdminUser).where(AdminUser.username == "shuji"))
    assert (admin.display_name, admin.role, admin.org_id) == ("王书记", Role.SECRETARY, tree["a1"].id)
    assert admin.member_id is None
    assert AdminBrowser(app.test_client()).login("shuji").status_code == 302


@pytest.mark.parametrize(
    ("role", "with_org", "password", "taken", "message"),
    [
        ("secretary", True, "Short#7", False, "密码至少 8 位"),
        ("secretary", False, PASSWORD, False, "请为该账号选择所管理的组织"),
        ("org_admin", False, PASSWORD, False, "请为该账号选择所管理的组织"),
        ("secretary", True, PASSWORD, True, "用户名“shuji”已被使用"),
    ],
)
def test_the_command_line_refuses_an_account_with_the_reason(
    app, make_admin, tree, role, with_org, password, taken, message
):
    from server.auth.models import AdminUser

    if taken:
        make_admin("shuji", Role.SECRETARY, tree["a2"])
    org = ["--org-id", str(tree["a1"].id)] if with_org else []
    result = create_from_command_line(app, "shuji", "--name", "王书记", "--role", role, *org, password=password)
    assert result.exit_code == 1 and message in result.output, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AdminUser)) == (1 if taken else 0)


def test_refusals_carry_stable_codes(app, tree):
    from server.auth.admin_services import create_admin
    from server.errors import AppError

    create_admin("shuji", PASSWORD, "王书记", Role.SECRETARY, tree["a1"])
    for args, code in [
        (("short", "12345678", "甲", Role.SECRETARY, tree["a1"]), None),  # exactly eight characters will do
        (("weak", "1234567", "甲", Role.SECRETARY, tree["a1"]), "weak_password"),
        (("noorg", PASSWORD, "甲", Role.COMMITTEE, None), "org_required"),
        (("shuji", PASSWORD, "甲", Role.SECRETARY, tree["a1"]), "duplicate_username"),
    ]:
        if code is None:
            create_admin(*args)
            continue
        with pytest.raises(AppError) as refused:
            create_admin(*args)
        assert refused.value.code == code


def test_a_login_records_its_time_and_upgrades_an_older_password_hash(
    app, make_admin, tree, production_password_hashing
):
    from argon2 import PasswordHasher

    from server.auth.passwords import needs_rehash, verify_password

    admin = make_admin("shuji", Role.SECRETARY, tree["a1"])
    admin.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)  # an earlier release's
    db.session.commit()
    assert needs_rehash(admin.password_hash)

    assert AdminBrowser(app.test_client()).login("shuji").status_code == 302
    db.session.expire_all()
    assert not needs_rehash(admin.password_hash) and verify_password(admin.password_hash, PASSWORD)
    assert abs((utcnow() - admin.last_login_at).total_seconds()) < 60
    assert AdminBrowser(app.test_client()).login("shuji").status_code == 302
