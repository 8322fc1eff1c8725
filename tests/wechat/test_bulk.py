"""One subscribe message to many members (server/wechat/bulk.py), over real HTTP, against the running emulator:
each answer classified as the push engine needs it — sent, refused, certainly not sent, or in doubt."""

from __future__ import annotations

import socket
import time

import pytest

from server.wechat.bulk import BulkSubscribe
from server.wechat.client import WeChatMiniProgram
from server.wechat.emulator.testing import RunningEmulator
from server.wechat.errors import WeChatError, WeChatUnavailable

SEND = "/cgi-bin/message/subscribe/send"
NEWS = {"thing1": "第十二期：安全生产专刊"}


def members(emulator: RunningEmulator, wechat: WeChatMiniProgram, count: int) -> list[str]:
    openids = []
    for n in range(count):
        user = f"member-{n}"
        openids.append(wechat.code_to_session(emulator.login_code(user))["openid"])
        emulator.grant_subscription(user, ["tmpl_news"])
    return openids


def test_each_member_gets_the_message_once_on_connections_the_server_closes(
    emulator: RunningEmulator, wechat: WeChatMiniProgram
) -> None:
    openids = members(emulator, wechat, 5)
    bulk = BulkSubscribe(wechat, "tmpl_news", NEWS, page="pages/news-issue/index?id=12")
    try:
        msgids = [bulk.send(openid) for openid in openids]  # the test server closes each connection: reopened
    finally:
        bulk.close()
    assert len(set(msgids)) == 5
    delivered = emulator.messages()
    assert [m.openid for m in delivered] == openids
    assert {(m.page, m.data["thing1"]) for m in delivered} == {("pages/news-issue/index?id=12", NEWS["thing1"])}
    with pytest.raises(WeChatError) as refused:
        BulkSubscribe(wechat, "tmpl_news", NEWS).send(openids[0])  # the one consent is used
    assert refused.value.errcode == 43101 and not isinstance(refused.value, WeChatUnavailable)


def test_an_expired_token_is_replaced_once_and_the_message_sent_once(
    emulator: RunningEmulator, wechat: WeChatMiniProgram
) -> None:
    openids = members(emulator, wechat, 2)
    bulk = BulkSubscribe(wechat, "tmpl_news", NEWS)
    issued = emulator.state.tokens_issued
    emulator.state.advance(7200)  # the token the batch took has expired
    try:
        bulk.send(openids[0])
        bulk.send(openids[1])
    finally:
        emulator.state.advance(-7200)
        bulk.close()
    assert emulator.state.tokens_issued == issued + 1
    assert [m.openid for m in emulator.messages()] == openids


@pytest.mark.parametrize(
    ("failure", "errcode", "uncertain"),
    [("busy", -1, False), ("rate limit", 45009, False), ("gateway", -1, True), ("client error", -1, False)],
)
def test_failures_say_whether_the_message_may_have_gone(
    emulator: RunningEmulator, wechat: WeChatMiniProgram, failure: str, errcode: int, uncertain: bool
) -> None:
    [openid] = members(emulator, wechat, 1)
    if failure == "gateway":
        emulator.fail_next_http(SEND, 502)
    elif failure == "client error":
        emulator.fail_next_http(SEND, 404)
    else:
        emulator.fail_next(SEND, errcode, failure)
    with pytest.raises(WeChatUnavailable) as raised:
        BulkSubscribe(wechat, "tmpl_news", NEWS).send(openid)
    assert (raised.value.errcode, raised.value.uncertain) == (errcode, uncertain)


def test_no_answer_in_time_is_in_doubt_and_wechat_delivered_it_all_the_same(emulator: RunningEmulator) -> None:
    impatient = WeChatMiniProgram(emulator.base_url, emulator.appid, emulator.secret, timeout=(2, 0.5))
    [openid] = members(emulator, impatient, 1)
    emulator.delay_next(SEND, 1.5)
    with pytest.raises(WeChatUnavailable) as raised:
        BulkSubscribe(impatient, "tmpl_news", NEWS).send(openid)
    assert raised.value.uncertain
    deadline = time.monotonic() + 5
    while not emulator.messages() and time.monotonic() < deadline:
        time.sleep(0.05)  # WeChat finishes the call after we stopped waiting
    assert [m.openid for m in emulator.messages()] == [openid]


def test_nobody_listening_is_certainly_not_sent(emulator: RunningEmulator, wechat: WeChatMiniProgram) -> None:
    [openid] = members(emulator, wechat, 1)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    gone = WeChatMiniProgram(f"http://127.0.0.1:{port}", emulator.appid, emulator.secret, timeout=1)
    gone.client.session.set(gone.client.access_token_key, "token-from-before", 7200)
    with pytest.raises(WeChatUnavailable) as raised:
        BulkSubscribe(gone, "tmpl_news", NEWS).send(openid)
    assert not raised.value.uncertain
