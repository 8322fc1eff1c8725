"""A member's consent to reminders, as the mini-program reports it and as the member reads it back."""

from __future__ import annotations

import threading

import pytest
import requests
import sqlalchemy as sa

from server.db import db
from server.subscriptions.models import Subscription
from tests.subscriptions.conftest import tap


def _listed(response) -> dict:
    assert response.status_code == 200, response.get_json()
    [meeting] = response.get_json()["subscriptions"]  # the tests' deployment has one template
    return meeting


def test_a_member_who_never_answered_reads_not_on(bound):
    p = bound("张三")
    assert _listed(p.get("/api/me/subscriptions")) == {
        "purpose": "meeting_reminder",
        "title": "会议提醒",
        "template_id": "tmpl_meeting",
        "remaining": 0,
        "status_label": "未开启",
        "last_choice": None,
        "last_choice_at": None,
        "refused_at": None,
    }


def test_each_accept_is_one_more_reminder_and_a_refusal_takes_none_away(bound):
    p = bound("张三")
    first = _listed(tap(p))
    assert (first["remaining"], first["status_label"], first["last_choice"]) == (1, "还可提醒 1 次", "accept")
    assert first["last_choice_at"].endswith("+00:00")
    assert _listed(tap(p))["remaining"] == 2
    refused = _listed(tap(p, "reject"))
    assert (refused["remaining"], refused["last_choice"]) == (2, "reject")
    assert _listed(p.get("/api/me/subscriptions"))["status_label"] == "还可提醒 2 次"


def test_answers_wechat_may_add_later_and_its_errmsg_are_ignored(bound):
    p = bound("张三")
    answer = {"errMsg": "requestSubscribeMessage:ok", "tmpl_meeting": "something_new"}
    assert _listed(p.post("/api/me/subscriptions", {"results": answer}))["last_choice"] is None
    banned = _listed(p.post("/api/me/subscriptions", {"results": {"tmpl_meeting": "ban"}}))
    assert (banned["remaining"], banned["last_choice"]) == (0, "ban")


def test_a_template_not_of_this_deployment_is_refused_in_chinese_and_nothing_is_recorded(bound):
    p = bound("张三")
    response = p.post("/api/me/subscriptions", {"results": {"tmpl_meeting": "accept", "tmpl_forged": "accept"}})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "unknown_template"
    assert error["message"] == "不是本小程序的消息提醒，请更新小程序后重试"
    assert error["fields"] == {"results": {"tmpl_forged": ["不是本小程序的消息提醒，请更新小程序后重试"]}}
    assert _listed(p.get("/api/me/subscriptions"))["remaining"] == 0


@pytest.mark.parametrize(
    "body",
    [{}, {"results": {}}, {"results": "accept"}, {"results": {"tmpl_meeting": 1}}, {"results": {"": "accept"}}],
)
def test_malformed_answers_are_refused(bound, body):
    response = bound("张三").post("/api/me/subscriptions", body)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_input"


def test_each_member_reads_and_writes_only_their_own(bound):
    zhang, li = bound("张三"), bound("李四")
    tap(zhang)
    assert _listed(li.get("/api/me/subscriptions"))["remaining"] == 0
    assert _listed(zhang.get("/api/me/subscriptions"))["remaining"] == 1


def test_consent_from_a_wechat_the_member_no_longer_uses_does_not_count(bound, phone, client):
    p = bound("张三")
    tap(p)
    tap(p)
    assert p.post("/api/auth/unbind").status_code == 200
    new_wechat = phone(p.user + "-new-phone")
    assert new_wechat.bind_phone("13700000001").status_code == 200
    assert _listed(new_wechat.get("/api/me/subscriptions"))["remaining"] == 0  # WeChat counts per user
    assert _listed(tap(new_wechat))["remaining"] == 1  # starts again from the new WeChat's consent


def test_no_token_no_consent(client):
    assert client.get("/api/me/subscriptions").status_code == 401
    assert client.post("/api/me/subscriptions", json={"results": {"tmpl_meeting": "accept"}}).status_code == 401


def test_taps_at_once_lose_no_count(bound, live_server):
    """Twelve answers arriving together (a double tap, a retried request): each accept counts once."""
    p = bound("张三")
    taps = 12
    start = threading.Barrier(taps)
    statuses: list[int] = []

    def post() -> None:
        with requests.Session() as session:
            start.wait()
            response = session.post(
                f"{live_server}/api/me/subscriptions",
                json={"results": {"tmpl_meeting": "accept"}},
                headers={"Authorization": f"Bearer {p.token}"},
                timeout=30,
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=post) for _ in range(taps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * taps
    db.session.rollback()
    assert db.session.scalar(sa.select(Subscription.remaining)) == taps


def test_some_demo_members_have_allowed_reminders(client, demo):
    from server.auth.member_services import _start_session
    from server.auth.models import WechatBinding
    from server.members.models import Member

    rows = db.session.scalars(sa.select(Subscription)).all()
    assert rows and {row.template_id for row in rows} == {"tmpl_meeting"}  # the tests' deployment has one
    bound = dict(db.session.execute(sa.select(WechatBinding.member_id, WechatBinding.openid)).all())
    assert all(bound[row.member_id] == row.openid and row.remaining == 2 for row in rows)
    token = _start_session(db.session.get(Member, rows[0].member_id), rows[0].openid).token
    db.session.commit()
    answer = client.get("/api/me/subscriptions", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert answer["subscriptions"][0]["status_label"] == "还可提醒 2 次"
