"""Bad input to the mini-program API: a 4xx in the one error shape, never a 500, nothing written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from server.auth.models import MemberSession, WechatBinding
from server.db import db


def _error(response):
    body = response.get_json()
    assert body is not None and "error" in body, response.get_data(as_text=True)
    return body["error"]


def test_malformed_json_is_400_with_a_chinese_message(client):
    response = client.post("/api/auth/login", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "malformed_json"
    assert "JSON" in _error(response)["message"]


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({}, "code", "此项必填"),
        ({"code": 12345}, "code", "应为文本"),
        ({"code": None}, "code", "此项不能为空"),
        ({"code": "x" * 500}, "code", "长度应在 1 到 128 个字符之间"),
        ({"code": "abc", "is_admin": True}, "is_admin", "不支持的字段"),
    ],
)
def test_invalid_login_payload_is_422_per_field(client, payload, field, message):
    response = client.post("/api/auth/login", json=payload)
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "invalid_input"
    assert error["fields"][field] == [message]


def test_a_json_array_instead_of_an_object_is_refused(client):
    response = client.post("/api/auth/login", json=["code"])
    assert response.status_code == 422
    assert _error(response)["code"] == "invalid_input"


def test_oversize_name_on_invite_binding_writes_nothing(client, tree, make_member):
    make_member(tree["a1"], "张三")
    response = client.post(
        "/api/auth/bind/invite", json={"bind_ticket": "t", "invite_code": "ABCDEFGH", "name": "张" * 200}
    )
    assert response.status_code == 422
    assert "name" in _error(response)["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WechatBinding)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MemberSession)) == 0


def test_wrong_method_has_the_error_shape(client):
    response = client.get("/api/auth/login")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


@pytest.mark.parametrize("path", ["/api/auth/bind/phone", "/api/auth/bind/invite"])
@pytest.mark.parametrize("body", ["true", '["ticket"]', '"ticket"', "7", "null"])
def test_a_bind_request_whose_body_is_not_a_json_object_is_refused(client, path, body):
    response = client.post(path, data=body, content_type="application/json")
    assert response.status_code == 422
    assert _error(response)["code"] == "invalid_input"
