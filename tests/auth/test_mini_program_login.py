"""A member's phone logs in with wx.login, binds once, and reads their own record."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.auth import member_services
from server.auth.models import InviteCode, MemberSession, WechatBinding
from server.db import db, utcnow
from tests.contract import assert_documented


@pytest.fixture
def member(tree, make_member):
    return make_member(tree["a1"], "张三", phone="13812345678", id_card="11010519491231002X")


@pytest.fixture
def invite(app, member):
    _, code = member_services.issue_invite_code(member, None)
    db.session.commit()
    return code


def test_unbound_user_gets_a_bind_ticket_not_a_session(phone, member):
    body = phone("wx-zhangsan").login().get_json()
    assert body["bound"] is False
    assert body["token"] is None
    assert body["bind_ticket"]


def test_bind_with_invite_code_then_read_profile(phone, member, invite):
    p = phone("wx-zhangsan")
    response = p.bind_invite(invite, "张三")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["bound"] is True
    profile = p.get("/api/me").get_json()
    assert profile["name"] == "张三"
    assert profile["branch"]["name"] == "甲一支部"
    assert profile["id_card"] == "110105********002X"
    assert profile["status_label"] == "正式党员"


def test_bound_user_logs_in_straight_away_next_time(phone, member, invite):
    phone("wx-zhangsan").bind_invite(invite, "张三")
    body = phone("wx-zhangsan").login().get_json()
    assert body["bound"] is True
    assert body["member"]["name"] == "张三"
    assert body["token"]


def test_bind_with_wechat_phone_number_matches_the_register(phone, member):
    p = phone("wx-zhangsan")
    response = p.bind_phone("13812345678")
    assert response.status_code == 200
    assert p.get("/api/me").get_json()["name"] == "张三"
    assert db.session.scalar(sa.select(WechatBinding.method)).value == "phone"


def test_a_phone_two_members_share_asks_for_an_invite_code(phone, tree, make_member, member):
    make_member(tree["a1"], "张三妻", phone="13812345678")

    response = phone("wx-zhangsan").bind_phone("13812345678")

    assert response.status_code == 409
    assert response.get_json()["error"] | {"fields": None} == {
        "code": "phone_ambiguous",
        "message": "名册中有多名党员使用这个手机号，请使用邀请码绑定",
        "fields": None,
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WechatBinding)) == 0


def test_phone_not_in_register_is_told_to_use_an_invite_code(phone, member):
    response = phone("wx-stranger").bind_phone("13900000000")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "phone_not_registered"
    assert "邀请码" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("code", "name", "expected"),
    [
        ("WRONG123", "张三", "invite_code_invalid"),
        (None, "李四", "invite_code_invalid"),  # right code, wrong name
    ],
)
def test_wrong_invite_code_or_name_is_refused(phone, member, invite, code, name, expected):
    response = phone("wx-zhangsan").bind_invite(code or invite, name)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == expected
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WechatBinding)) == 0


def test_expired_invite_code_is_refused(phone, member, invite):
    db.session.execute(
        sa.update(InviteCode).values(
            created_at=utcnow() - timedelta(days=8), expires_at=utcnow() - timedelta(minutes=1)
        )
    )
    db.session.commit()
    response = phone("wx-zhangsan").bind_invite(invite, "张三")
    assert response.get_json()["error"]["code"] == "invite_code_expired"
    assert "过期" in response.get_json()["error"]["message"]


def test_invite_code_works_only_once(phone, member, invite):
    assert phone("wx-zhangsan").bind_invite(invite, "张三").status_code == 200
    response = phone("wx-other").bind_invite(invite, "张三")
    assert response.get_json()["error"] == {
        "code": "invite_code_used",
        "message": "该邀请码已使用过，请联系支部书记重新发放",
    }


def test_new_invite_code_replaces_the_old_one(phone, member, invite):
    _, newer = member_services.issue_invite_code(member, None)
    db.session.commit()
    assert phone("wx-zhangsan").bind_invite(invite, "张三").get_json()["error"]["code"] == "invite_code_invalid"
    assert phone("wx-zhangsan").bind_invite(newer, "张三").status_code == 200


def test_invite_code_is_forgiving_about_case_and_spaces(phone, member, invite):
    typed = f" {invite[:4].lower()} {invite[4:].lower()} "
    assert phone("wx-zhangsan").bind_invite(typed, "张三").status_code == 200


def test_member_already_bound_to_another_wechat_is_refused(phone, member, invite):
    phone("wx-zhangsan").bind_phone("13812345678")
    response = phone("wx-new-phone").bind_invite(invite, "张三")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "member_already_bound"


def test_a_wechat_already_bound_cannot_bind_a_second_member(phone, tree, make_member, member, invite):
    p = phone("wx-zhangsan")
    second_ticket = p.bind_ticket()  # two tickets, e.g. the bind page open twice
    assert p.bind_invite(invite, "张三").status_code == 200
    other = make_member(tree["a1"], "李四")
    _, other_code = member_services.issue_invite_code(other, None)
    db.session.commit()
    response = p.bind_invite(other_code, "李四", ticket=second_ticket)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "wechat_already_bound"
    assert response.get_json()["error"]["message"] == "这个微信已绑定党员身份，请直接登录"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WechatBinding)) == 1


def test_ending_a_lost_phones_sessions_counts_and_stamps_only_the_live_ones(phone, member, invite):
    p = phone("wx-zhangsan")
    p.bind_invite(invite, "张三")
    p.post("/api/auth/logout")
    logged_out_at = db.session.scalar(sa.select(MemberSession.revoked_at))
    phone("wx-zhangsan").login()  # a second, live session
    assert member_services.revoke_sessions(member) == 1  # the page says "已让张三的 1 个登录失效"
    db.session.commit()
    stamps = db.session.scalars(sa.select(MemberSession.revoked_at).order_by(MemberSession.id)).all()
    assert stamps[0] == logged_out_at and stamps[1] is not None


def test_a_bind_ticket_signed_by_this_release_still_verifies(app, monkeypatch):
    """Known answers: tickets signed on 2025-12-01 with a fixed key. An upgrade must not void the tickets
    of members halfway through binding; one signed for another purpose with the same key must not pass."""
    from server.errors import AppError

    monkeypatch.setitem(app.config, "SECRET_KEY", "known-answer-key")
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: 1764547200 + 5)
    payload = "eyJvcGVuaWQiOiJ3eC1rbm93bi1hbnN3ZXIifQ.aSzagA"
    assert member_services.openid_from_ticket(f"{payload}.D7-zehLpIvd_I2Dt-yc1t9ICPn4") == "wx-known-answer"
    with pytest.raises(AppError) as refused:
        member_services.openid_from_ticket(f"{payload}.LPYvOWuzZMcI509KYCafd59IXhY")  # another salt
    assert (refused.value.code, refused.value.status) == ("bind_ticket_invalid", 401)


def test_repeated_failed_binding_is_rate_limited(phone, member):
    p = phone("wx-guesser")
    ticket = p.bind_ticket()
    statuses = [p.bind_invite(f"BAD{i:05d}", "张三", ticket=ticket).status_code for i in range(6)]
    assert statuses[:5] == [400] * 5
    assert statuses[5] == 429
    assert p.bind_invite("BAD99999", "张三", ticket=ticket).get_json()["error"]["code"] == "rate_limited"


def test_a_limited_route_counts_each_call_and_says_so_while_other_routes_carry_no_limit(phone, member, invite):
    """Limits are checked by the route they decorate (the app skips flask-limiter's pass before every
    request, which only checks limits the app never sets): the phone still sees the login limit counting
    down, and a plain member request carries no limit at all."""
    p = phone("wx-zhangsan")
    p.bind_invite(invite, "张三")
    first, second = p.login(), p.login()
    assert first.status_code == second.status_code == 200
    assert first.headers["X-RateLimit-Limit"] == "30"
    assert int(first.headers["X-RateLimit-Remaining"]) - int(second.headers["X-RateLimit-Remaining"]) == 1
    me = p.get("/api/me")
    assert me.status_code == 200 and "X-RateLimit-Limit" not in me.headers


def test_reused_login_code_is_refused(client, emulator, member):
    code = emulator.login_code("wx-zhangsan")
    assert client.post("/api/auth/login", json={"code": code}).status_code == 200
    response = client.post("/api/auth/login", json={"code": code})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "wechat_code_invalid"


def test_forged_bind_ticket_is_refused(client, member, invite):
    response = client.post(
        "/api/auth/bind/invite", json={"bind_ticket": "forged.ticket.value", "invite_code": invite, "name": "张三"}
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "bind_ticket_invalid"
    assert response.get_json()["error"]["message"] == "绑定凭证无效，请重新进入小程序"


@pytest.mark.parametrize(
    ("header", "code", "message"),
    [
        (None, "token_missing", "请先登录"),
        ("Bearer forged-token", "token_invalid", "登录凭证无效，请重新登录"),
        ("bearer forged-token", "token_invalid", "登录凭证无效，请重新登录"),
        ("Basic abc", "token_missing", "请先登录"),
        ("Bearer  ", "token_missing", "请先登录"),
    ],
)
def test_missing_or_forged_token_gets_401(client, header, code, message):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/me", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == {"code": code, "message": message}


def test_expired_token_gets_401_and_asks_to_log_in_again(phone, member, invite):
    p = phone("wx-zhangsan")
    p.bind_invite(invite, "张三")
    db.session.execute(
        sa.update(MemberSession).values(
            created_at=utcnow() - timedelta(days=31), expires_at=utcnow() - timedelta(seconds=1)
        )
    )
    db.session.commit()
    response = p.get("/api/me")
    assert response.status_code == 401
    assert response.get_json()["error"] == {"code": "token_expired", "message": "登录已过期，请重新登录"}


def test_logout_revokes_the_token(phone, member, invite):
    p = phone("wx-zhangsan")
    p.bind_invite(invite, "张三")
    assert p.post("/api/auth/logout").status_code == 200
    assert p.get("/api/me").get_json()["error"]["code"] == "token_revoked"


def test_unbind_ends_all_sessions_and_frees_the_member(phone, member, invite):
    p = phone("wx-zhangsan")
    p.bind_invite(invite, "张三")
    assert p.post("/api/auth/unbind").status_code == 200
    assert p.get("/api/me").status_code == 401
    assert phone("wx-zhangsan").login().get_json()["bound"] is False


def test_tokens_are_stored_only_as_digests(phone, member, invite):
    p = phone("wx-zhangsan")
    p.bind_invite(invite, "张三")
    stored = db.session.scalar(sa.select(MemberSession.token_hash))
    assert stored != p.token and len(stored) == 64


def test_wechat_down_is_a_clear_503(client, app, emulator, member):
    emulator.fail_next("/sns/jscode2session", errcode=-1)
    response = client.post("/api/auth/login", json={"code": emulator.login_code("wx-zhangsan")})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "wechat_unavailable"


def test_home_greets_the_member_with_empty_sections(phone, member, invite):
    p = phone("wx-zhangsan")
    p.bind_invite(invite, "张三")
    home = p.get("/api/home").get_json()
    assert home["member_name"] == "张三" and home["branch_name"] == "甲一支部"
    assert (home["next_meeting"], home["todos"], home["features"]) == (
        None,
        [],
        ["meetings", "dues", "newspaper", "study"],
    )
    assert "unpaid_dues_fen" not in home  # no dues feature yet: nothing to pretend about


def test_the_profile_of_a_member_with_blanks_in_the_register_is_as_documented(phone, tree, make_member):
    make_member(tree["a1"], "李四", phone="13812345679", birth_date=None, join_date=None, full_member_date=None)
    p = phone("wx-lisi")
    assert p.bind_phone("13812345679").status_code == 200
    response = p.get("/api/me")
    assert response.status_code == 200
    assert response.get_json()["id_card"] is None and response.get_json()["education"] is None
    assert_documented(p.client, "GET", "/api/me", response)


def test_a_refusal_is_documented_in_the_one_error_shape(client):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert_documented(client, "GET", "/api/me", response)
