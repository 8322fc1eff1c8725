"""The simulated phone: a dialog answered template by template, and notifications turned off in WeChat."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from server.wechat.emulator import create_emulator_app, emulator_state

TEMPLATES = {"tmpl_meeting": ["thing1"], "tmpl_dues": ["thing1"]}


@pytest.fixture
def emulator_app():
    return create_emulator_app("wx_phone_appid", "phone_secret", TEMPLATES)


@pytest.fixture
def http(emulator_app) -> FlaskClient:
    return emulator_app.test_client()


def _send(state, user: str, template_id: str) -> int:
    return state.send_message(state.openid(user), template_id, {"thing1": {"value": "会议"}})


def test_the_member_ticks_one_switch_and_not_the_other(http, emulator_app):
    body = {"user": "a", "template_ids": ["tmpl_meeting", "tmpl_dues"], "choices": {"tmpl_dues": "reject"}}
    answer = http.post("/_phone/subscribe", json=body).get_json()
    assert answer == {"errMsg": "requestSubscribeMessage:ok", "tmpl_meeting": "accept", "tmpl_dues": "reject"}
    state = emulator_state(emulator_app)
    assert (state.quota(state.openid("a"), "tmpl_meeting"), state.quota(state.openid("a"), "tmpl_dues")) == (1, 0)


def test_choices_other_than_accept_or_reject_are_refused(http):
    body = {"user": "a", "template_ids": ["tmpl_meeting"], "choices": {"tmpl_meeting": "maybe"}}
    response = http.post("/_phone/subscribe", json=body)
    assert response.status_code == 400 and response.get_json()["errCode"] == -1


def test_notifications_off_refuse_every_message_and_keep_the_consent(http, emulator_app):
    from server.wechat.emulator.state import EmulatorError

    state = emulator_state(emulator_app)
    http.post("/_phone/subscribe", json={"user": "a", "template_ids": ["tmpl_meeting"]})
    assert http.post("/_phone/notifications", json={"user": "a", "enabled": False}).get_json()["enabled"] is False
    with pytest.raises(EmulatorError) as refused:
        _send(state, "a", "tmpl_meeting")
    assert refused.value.errcode == 43101
    http.post("/_phone/notifications", json={"user": "a", "enabled": True})
    assert _send(state, "a", "tmpl_meeting") > 0
    assert http.post("/_phone/notifications", json={"user": "a"}).status_code == 400
