"""The emulator answers like WeChat: formats, error codes, expiry, quotas."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from PIL import Image

from server.wechat.emulator.__main__ import load_templates
from server.wechat.emulator.fields import check_value
from server.wechat.emulator.state import EmulatorState
from server.wechat.emulator.testing import DEFAULT_APPID as APPID
from server.wechat.emulator.testing import DEFAULT_SECRET as SECRET

PNG = b"\x89PNG\r\n\x1a\n"


def get_token(http: FlaskClient) -> str:
    query = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    return http.get("/cgi-bin/token", query_string=query).get_json()["access_token"]


def post_json(http: FlaskClient, path: str, token: str, body: dict) -> dict:
    # Like wechatpy: raw JSON bytes, no Content-Type header.
    res = http.post(path, query_string={"access_token": token}, data=json.dumps(body))
    return res.get_json()


def code2session(http: FlaskClient, code: str, secret: str = SECRET) -> dict:
    query = {
        "appid": APPID,
        "secret": secret,
        "js_code": code,
        "grant_type": "authorization_code",
    }
    return http.get("/sns/jscode2session", query_string=query).get_json()


# -- access token -------------------------------------------------------------


def test_token_has_wechat_shape(http: FlaskClient) -> None:
    query = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    res = http.get("/cgi-bin/token", query_string=query)
    assert res.content_type.startswith("application/json")
    body = res.get_json()
    assert set(body) == {"access_token", "expires_in"}
    assert body["expires_in"] == 7200


@pytest.mark.parametrize(
    ("appid", "secret", "grant_type", "errcode"),
    [
        ("wx_other", SECRET, "client_credential", 40013),
        (APPID, "wrong", "client_credential", 40001),
        (APPID, "密钥", "client_credential", 40001),
        (APPID, SECRET, "password", 40002),
    ],
)
def test_token_rejects_bad_credentials(
    http: FlaskClient, appid: str, secret: str, grant_type: str, errcode: int
) -> None:
    query = {"grant_type": grant_type, "appid": appid, "secret": secret}
    body = http.get("/cgi-bin/token", query_string=query).get_json()
    assert body["errcode"] == errcode
    assert "access_token" not in body


def test_unknown_token_is_40001(http: FlaskClient) -> None:
    body = post_json(http, "/wxa/business/getuserphonenumber", "nope", {"code": "x"})
    assert body["errcode"] == 40001


def test_token_expires_with_42001(http: FlaskClient, state: EmulatorState) -> None:
    token = get_token(http)
    state.advance(7200)
    body = post_json(http, "/wxa/business/getuserphonenumber", token, {"code": "x"})
    assert body == {"errcode": 42001, "errmsg": "access_token expired"}


def test_previous_token_keeps_working_for_five_minutes(http: FlaskClient, state: EmulatorState) -> None:
    old = get_token(http)
    get_token(http)
    state.advance(299)
    assert post_json(http, "/wxa/getwxacodeunlimit", old, {"scene": "!"}) is None  # PNG
    state.advance(2)
    body = post_json(http, "/wxa/getwxacodeunlimit", old, {"scene": "a"})
    assert body["errcode"] == 40001


# -- code2session ---------------------------------------------------------------


def test_code2session_needs_no_token_and_answers_openid(http: FlaskClient, state: EmulatorState) -> None:
    body = code2session(http, state.login_code("alice"))
    assert body["openid"] == state.openid("alice")
    assert len(body["openid"]) == 28
    assert len(body["session_key"]) == 24
    assert "unionid" not in body


def test_code2session_checks_secret_and_code(http: FlaskClient, state: EmulatorState) -> None:
    assert code2session(http, state.login_code("a"), "bad")["errcode"] == 40125
    assert code2session(http, "")["errcode"] == 41008


def test_code2session_limits_calls_per_user_per_minute(http: FlaskClient, state: EmulatorState) -> None:
    for _ in range(100):
        assert "openid" in code2session(http, state.login_code("busy"))
    code = state.login_code("busy")
    assert code2session(http, code)["errcode"] == 45011
    assert "openid" in code2session(http, state.login_code("other"))
    state.advance(61)
    assert "openid" in code2session(http, code)  # a throttled code stays usable


def test_unionid_is_issued_when_configured() -> None:
    state = EmulatorState(APPID, SECRET, issue_unionid=True)
    other_app = EmulatorState("wx_other", SECRET, issue_unionid=True)
    mine = state.code2session(state.login_code("alice"))
    theirs = other_app.code2session(other_app.login_code("alice"))
    assert mine["openid"] != theirs["openid"]
    assert mine["unionid"] == theirs["unionid"]


# -- phone number -----------------------------------------------------------------


def test_phone_number_answer(http: FlaskClient) -> None:
    token = get_token(http)
    code = http.post("/_phone/phone_code", json={"user": "a", "phone": "13800138000"})
    body = post_json(
        http,
        "/wxa/business/getuserphonenumber",
        token,
        {"code": code.get_json()["code"]},
    )
    assert body["errcode"] == 0
    info = body["phone_info"]
    assert info["phoneNumber"] == info["purePhoneNumber"] == "13800138000"
    assert info["countryCode"] == "86"
    assert info["watermark"]["appid"] == APPID


def test_phone_code_expires(http: FlaskClient, state: EmulatorState) -> None:
    token = get_token(http)
    code = state.phone_code("a", "13800138000")
    state.advance(300)
    body = post_json(http, "/wxa/business/getuserphonenumber", token, {"code": code})
    assert body["errcode"] == 40029


def test_malformed_body_is_47001(http: FlaskClient) -> None:
    res = http.post(
        "/wxa/business/getuserphonenumber",
        query_string={"access_token": get_token(http)},
        data=b"not json",
    )
    assert res.get_json()["errcode"] == 47001


# -- simulated phone ------------------------------------------------------------------


def test_phone_login_and_openid(http: FlaskClient) -> None:
    code = http.post("/_phone/login", json={"user": "alice"}).get_json()["code"]
    openid = http.get("/_phone/openid", query_string={"user": "alice"}).get_json()
    assert code2session(http, code)["openid"] == openid["openid"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_phone/login", {}),
        ("/_phone/phone_code", {"user": "a", "phone": "+86 138"}),
        ("/_phone/subscribe", {"user": "a", "template_ids": []}),
        ("/_phone/subscribe", {"user": "a", "template_ids": ["tmpl_unknown"]}),
    ],
)
def test_phone_rejects_bad_requests(http: FlaskClient, path: str, body: dict) -> None:
    res = http.post(path, json=body)
    assert res.status_code == 400
    assert "errMsg" in res.get_json()


def test_subscribe_takes_at_most_three_templates(http: FlaskClient) -> None:
    body = {
        "user": "a",
        "template_ids": ["tmpl_meeting", "tmpl_dues", "tmpl_quiz", "tmpl_news"],
    }
    res = http.post("/_phone/subscribe", json=body)
    assert res.status_code == 400
    assert res.get_json()["errCode"] == 20003


def test_subscribe_accept_and_reject(http: FlaskClient, state: EmulatorState) -> None:
    body = {"user": "a", "template_ids": ["tmpl_meeting", "tmpl_dues"]}
    accepted = http.post("/_phone/subscribe", json=body).get_json()
    assert accepted == {
        "errMsg": "requestSubscribeMessage:ok",
        "tmpl_meeting": "accept",
        "tmpl_dues": "accept",
    }
    rejected = http.post("/_phone/subscribe", json={**body, "accept": False}).get_json()
    assert rejected["tmpl_dues"] == "reject"
    assert state.quota(state.openid("a"), "tmpl_dues") == 1


def test_many_members_subscribe_in_one_call(http: FlaskClient, state: EmulatorState) -> None:
    body = {"users": ["a", "b"], "template_ids": ["tmpl_news"], "times": 2}
    answer = http.post("/_phone/subscribe_many", json=body).get_json()
    assert answer == {"errMsg": "requestSubscribeMessage:ok", "users": 2, "times": 2}
    assert [state.quota(state.openid(user), "tmpl_news") for user in ("a", "b", "c")] == [2, 2, 0]
    for bad in ({"users": []}, {"times": 0}, {"times": True}, {"template_ids": ["tmpl_unknown"]}, {"users": [""]}):
        assert http.post("/_phone/subscribe_many", json={**body, **bad}).status_code == 400
    assert state.quota(state.openid("a"), "tmpl_news") == 2


# -- subscribe messages --------------------------------------------------------------


def test_sent_message_is_listed_on_the_phone(http: FlaskClient, state: EmulatorState) -> None:
    state.grant_subscription("a", ["tmpl_quiz"])
    openid = state.openid("a")
    body = {
        "touser": openid,
        "template_id": "tmpl_quiz",
        "page": "pages/quiz/index?id=3",
        "data": {"thing1": {"value": "本周党史测验"}},
    }
    sent = post_json(http, "/cgi-bin/message/subscribe/send", get_token(http), body)
    assert sent["errcode"] == 0
    listed = http.get("/_phone/messages", query_string={"openid": openid}).get_json()
    assert [m["msgid"] for m in listed] == [sent["msgid"]]
    assert listed[0]["data"] == {"thing1": "本周党史测验"}
    assert listed[0]["miniprogram_state"] == "formal"
    assert http.get("/_phone/messages", query_string={"openid": "o-other"}).get_json() == []


@pytest.mark.parametrize(
    ("patch", "errmsg"),
    [
        ({"miniprogram_state": "beta"}, "argument invalid! miniprogram_state invalid"),
        ({"data": {"thing1": {"value": "x"}, "thing9": {"value": "y"}}}, None),
        ({"data": {"thing1": "x"}}, "argument invalid! data.thing1.value is empty"),
        (
            {"data": {"thing1": {"value": 7}}},
            "argument invalid! data.thing1.value invalid",
        ),
    ],
)
def test_send_checks_arguments(http: FlaskClient, state: EmulatorState, patch: dict, errmsg: str | None) -> None:
    state.grant_subscription("a", ["tmpl_quiz"])
    body = {"touser": state.openid("a"), "template_id": "tmpl_quiz"}
    body.update({"data": {"thing1": {"value": "ok"}}, **patch})
    sent = post_json(http, "/cgi-bin/message/subscribe/send", get_token(http), body)
    assert sent["errcode"] == 47003
    if errmsg:
        assert sent["errmsg"] == errmsg
    assert state.quota(state.openid("a"), "tmpl_quiz") == 1  # a rejected send uses no quota


@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("thing1", "二十个字以内的会议名称就可以了就可以了", True),
        ("thing1", "x" * 21, False),
        ("phrase3", "已缴纳", True),
        ("phrase3", "paid", False),
        ("phrase3", "六个汉字不行", False),
        ("character_string2", "DUES-2024-07/001", True),
        ("character_string2", "带中文", False),
        ("character_string2", "x" * 33, False),
        ("number4", "12.5", True),
        ("number4", "1" * 33, False),
        ("number4", "12a", False),
        ("amount1", "25.00元", True),
        ("amount1", "¥3", True),
        ("amount1", "二十元", False),
        ("time2", "2024-07-01 09:30", True),
        ("time2", "2024年7月1日 09:30", True),
        ("time2", "2024-07-01 09:00 ~ 2024-07-01 11:00", True),
        ("date5", "2024-07-01", True),
        ("time2", "next tuesday", False),
        ("name6", "张三", True),
        ("name6", "欧阳一二三四五六七八九", False),
        ("name6", "Zhang San", True),
        ("thing1", "", False),
    ],
)
def test_field_rules(key: str, value: str, ok: bool) -> None:
    assert check_value(key, value) is ok


# -- mini-program code ------------------------------------------------------------------


def test_unlimited_code_is_a_png_of_the_requested_width(http: FlaskClient) -> None:
    res = http.post(
        "/wxa/getwxacodeunlimit",
        query_string={"access_token": get_token(http)},
        data=json.dumps({"scene": "m=42", "page": "pages/checkin/index", "width": 300}),
    )
    assert res.content_type == "image/png"
    assert res.data.startswith(PNG)
    assert Image.open(io.BytesIO(res.data)).size == (300, 300)


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"scene": "x" * 33}, 40169),
        ({"scene": ""}, 40169),
        ({"scene": "a b"}, 40169),
        ({"scene": "会议"}, 40169),
        ({"scene": "a", "page": "/pages/index"}, 41030),
        ({"scene": "a", "env_version": "beta"}, 40097),
    ],
)
def test_unlimited_code_errors_are_json(http: FlaskClient, body: dict, errcode: int) -> None:
    res = http.post(
        "/wxa/getwxacodeunlimit",
        query_string={"access_token": get_token(http)},
        data=json.dumps(body),
    )
    assert res.content_type.startswith("application/json")
    assert res.get_json()["errcode"] == errcode


# -- command line -----------------------------------------------------------------------


def test_load_templates(tmp_path: Path) -> None:
    path = tmp_path / "templates.json"
    path.write_text(json.dumps({"tmpl_a": ["thing1", "time2"]}), encoding="utf-8")
    assert load_templates(path) == {"tmpl_a": ["thing1", "time2"]}
    path.write_text(json.dumps(["thing1"]), encoding="utf-8")
    with pytest.raises(SystemExit):
        load_templates(path)


# -- injected failures -----------------------------------------------------------------------


def test_injected_steps_run_in_order_after_normal_calls(http: FlaskClient, state: EmulatorState) -> None:
    state.fail_next("/sns/jscode2session", 45011, "minute quota", after=1)
    state.fail_next_http("/sns/jscode2session", 502)
    answers = [http.get("/sns/jscode2session", query_string={"appid": APPID, "secret": SECRET}) for _ in range(4)]
    assert answers[0].get_json()["errcode"] == 40002  # normal: no grant_type
    assert answers[1].get_json()["errcode"] == 45011
    assert answers[2].status_code == 502 and answers[2].content_type.startswith("text/html")
    assert answers[3].get_json()["errcode"] == 40002
    assert state.calls("/sns/jscode2session") == 4


def test_a_delayed_call_still_takes_effect(http: FlaskClient, state: EmulatorState) -> None:
    """WeChat keeps working on a request whose sender gave up: the message may arrive all the same."""
    token = get_token(http)
    code = state.login_code("alice")
    openid = code2session(http, code)["openid"]
    state.grant_subscription("alice", ["tmpl_quiz"])
    state.delay_next("/cgi-bin/message/subscribe/send", 0.2)
    body = {"touser": openid, "template_id": "tmpl_quiz", "data": {"thing1": {"value": "测验"}}}
    assert post_json(http, "/cgi-bin/message/subscribe/send", token, body)["errcode"] == 0
    assert len(state.messages(openid)) == 1
