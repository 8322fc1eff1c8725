"""Our WeChat adapter, over real HTTP, against the running emulator."""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from PIL import Image
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

from server.wechat import get_wechat, init_app
from server.wechat.client import WeChatMiniProgram
from server.wechat.emulator.testing import RunningEmulator, running_emulator
from server.wechat.errors import WeChatError, WeChatUnavailable
from server.wechat.storage import SharedTokenStorage

PNG = b"\x89PNG\r\n\x1a\n"


def errcode_of(exc_info: pytest.ExceptionInfo[WeChatError]) -> int:
    return exc_info.value.errcode


def login(emulator: RunningEmulator, wechat: WeChatMiniProgram, user: str) -> str:
    return wechat.code_to_session(emulator.login_code(user))["openid"]


class FakeRedis:
    """Just the three calls RedisStorage makes, so sharing a token needs no Redis server."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, key: str, value: Any, ex: int | None = None) -> None:
        self.data[key] = value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


@pytest.fixture
def make_client(emulator: RunningEmulator) -> Iterator[Any]:
    clients: list[WeChatMiniProgram] = []

    def make(**kwargs: Any) -> WeChatMiniProgram:
        options = {
            "appid": emulator.appid,
            "secret": emulator.secret,
            "timeout": 2,
            **kwargs,
        }
        client = WeChatMiniProgram(emulator.base_url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# -- access token -------------------------------------------------------------


def test_token_is_fetched_once_and_cached(emulator: RunningEmulator, wechat: WeChatMiniProgram) -> None:
    login(emulator, wechat, "a")
    wechat.get_phone_number(emulator.phone_code("a", "13800138000"))
    assert emulator.state.tokens_issued == 1
    assert wechat.client.session.get(f"{emulator.appid}_access_token")


def test_wrong_appid_is_40013(emulator: RunningEmulator, make_client: Any) -> None:
    with pytest.raises(WeChatError) as exc_info:
        make_client(appid="wx_wrong").code_to_session(emulator.login_code("a"))
    assert errcode_of(exc_info) == 40013
    assert not isinstance(exc_info.value, WeChatUnavailable)


def test_wrong_secret_is_40001(emulator: RunningEmulator, make_client: Any) -> None:
    with pytest.raises(WeChatError) as exc_info:
        make_client(secret="wrong").get_phone_number(emulator.phone_code("a", "13800138000"))
    assert errcode_of(exc_info) == 40001


def test_expired_token_is_refreshed_transparently(emulator: RunningEmulator, wechat: WeChatMiniProgram) -> None:
    login(emulator, wechat, "a")
    # Only WeChat's clock moves: our cache still believes the token valid and sends it.
    emulator.state.advance(7200)
    phone = wechat.get_phone_number(emulator.phone_code("a", "13800138000"))
    assert phone == "13800138000"
    assert emulator.state.tokens_issued == 2


def test_superseded_token_is_refreshed_transparently(
    emulator: RunningEmulator, wechat: WeChatMiniProgram, make_client: Any
) -> None:
    login(emulator, wechat, "a")
    login(emulator, make_client(), "b")  # another process fetched its own token
    emulator.state.advance(301)
    assert wechat.get_phone_number(emulator.phone_code("a", "13900139000")) == "13900139000"
    assert emulator.state.tokens_issued == 3


def test_token_refresh_is_retried_only_once() -> None:
    with running_emulator(token_ttl=0) as emulator:
        # Every token is dead on arrival: wechatpy's own retry would recurse forever.
        client = WeChatMiniProgram(emulator.base_url, emulator.appid, emulator.secret)
        try:
            with pytest.raises(WeChatError) as exc_info:
                client.get_phone_number(emulator.phone_code("a", "13800138000"))
        finally:
            client.close()
    assert errcode_of(exc_info) == 42001
    # The first fetch, our one refresh, and wechatpy refetching because a 0-second token is
    # inside its 60-second safety margin; then we give up instead of looping.
    assert emulator.state.tokens_issued == 3


def test_redis_storage_shares_the_token_between_workers(emulator: RunningEmulator, make_client: Any) -> None:
    redis = FakeRedis()
    first = make_client(session=RedisStorage(redis, prefix="wechatpy"))
    second = make_client(session=RedisStorage(redis, prefix="wechatpy"))
    login(emulator, first, "a")
    login(emulator, second, "b")
    assert emulator.state.tokens_issued == 1
    assert f"wechatpy:{emulator.appid}_access_token" in redis.data


# -- code2session -------------------------------------------------------------


def test_code_to_session_gives_a_stable_openid(emulator: RunningEmulator, wechat: WeChatMiniProgram) -> None:
    first = wechat.code_to_session(emulator.login_code("alice"))
    second = wechat.code_to_session(emulator.login_code("alice"))
    other = wechat.code_to_session(emulator.login_code("bob"))
    assert first["openid"] == second["openid"] == emulator.openid("alice")
    assert other["openid"] != first["openid"]
    assert first["session_key"] != second["session_key"]
    assert "unionid" not in first


def test_code_to_session_returns_unionid_when_wechat_sends_it() -> None:
    with running_emulator(issue_unionid=True) as emulator:
        client = WeChatMiniProgram(emulator.base_url, emulator.appid, emulator.secret)
        try:
            session = client.code_to_session(emulator.login_code("alice"))
        finally:
            client.close()
    assert session["unionid"].startswith("o")


def test_reused_code_is_40029(emulator: RunningEmulator, wechat: WeChatMiniProgram) -> None:
    code = emulator.login_code("alice")
    wechat.code_to_session(code)
    with pytest.raises(WeChatError) as exc_info:
        wechat.code_to_session(code)
    assert errcode_of(exc_info) == 40029


def test_expired_code_is_40029(emulator: RunningEmulator, wechat: WeChatMiniProgram) -> None:
    code = emulator.login_code("alice")
    emulator.state.advance(301)
    with pytest.raises(WeChatError) as exc_info:
        wechat.code_to_session(code)
    assert errcode_of(exc_info) == 40029


def test_garbage_code_is_40029(wechat: WeChatMiniProgram) -> None:
    with pytest.raises(WeChatError) as exc_info:
        wechat.code_to_session("0a3garbage")
    assert errcode_of(exc_info) == 40029


# -- phone number ---------------------------------------------------------------


def test_phone_number(emulator: RunningEmulator, wechat: WeChatMiniProgram) -> None:
    code = emulator.phone_code("alice", "13800138000")
    assert wechat.get_phone_number(code) == "13800138000"
    with pytest.raises(WeChatError) as exc_info:
        wechat.get_phone_number(code)
    assert errcode_of(exc_info) == 40029


# -- subscribe messages ----------------------------------------------------------

MEETING = {
    "thing1": "七月主题党日",
    "time2": "2024-07-01 09:30",
    "thing3": "三楼会议室",
}


def test_send_subscribe_message_is_delivered(emulator: RunningEmulator, wechat: WeChatMiniProgram) -> None:
    openid = login(emulator, wechat, "alice")
    emulator.grant_subscription("alice", ["tmpl_meeting"])
    msgid = wechat.send_subscribe_message(
        openid, "tmpl_meeting", MEETING, page="pages/meeting/index?id=7", state="trial"
    )
    [message] = emulator.messages(openid)
    assert message.msgid == msgid
    assert message.template_id == "tmpl_meeting"
    assert message.page == "pages/meeting/index?id=7"
    assert message.data == MEETING
    assert message.miniprogram_state == "trial"


def test_send_without_subscription_is_43101(emulator: RunningEmulator, wechat: WeChatMiniProgram) -> None:
    openid = login(emulator, wechat, "alice")
    with pytest.raises(WeChatError) as exc_info:
        wechat.send_subscribe_message(openid, "tmpl_meeting", MEETING)
    assert errcode_of(exc_info) == 43101
    assert emulator.messages() == []


def test_one_subscription_allows_one_message(emulator: RunningEmulator, wechat: WeChatMiniProgram) -> None:
    openid = login(emulator, wechat, "alice")
    emulator.grant_subscription("alice", ["tmpl_meeting"])
    wechat.send_subscribe_message(openid, "tmpl_meeting", MEETING)
    with pytest.raises(WeChatError) as exc_info:
        wechat.send_subscribe_message(openid, "tmpl_meeting", MEETING)
    assert errcode_of(exc_info) == 43101
    assert len(emulator.messages(openid)) == 1


@pytest.mark.parametrize(
    ("openid", "template_id", "data", "errcode"),
    [
        (None, "tmpl_unknown", MEETING, 40037),
        ("o-not-a-user", "tmpl_meeting", MEETING, 40003),
        (
            None,
            "tmpl_meeting",
            {**MEETING, "thing1": "这个会议名称实在是太长了超过了二十个字的限制"},
            47003,
        ),
        (
            None,
            "tmpl_meeting",
            {"thing1": "七月主题党日", "time2": "2024-07-01 09:30"},
            47003,
        ),
        (None, "tmpl_meeting", {**MEETING, "time2": "soon"}, 47003),
    ],
    ids=["bad-template", "bad-openid", "thing-too-long", "missing-field", "bad-time"],
)
def test_send_errors(
    emulator: RunningEmulator,
    wechat: WeChatMiniProgram,
    openid: str | None,
    template_id: str,
    data: dict[str, str],
    errcode: int,
) -> None:
    own_openid = login(emulator, wechat, "alice")
    emulator.grant_subscription("alice", ["tmpl_meeting"])
    with pytest.raises(WeChatError) as exc_info:
        wechat.send_subscribe_message(openid or own_openid, template_id, data)
    assert errcode_of(exc_info) == errcode
    assert emulator.state.quota(own_openid, "tmpl_meeting") == 1


def test_invalid_field_is_named_in_errmsg(emulator: RunningEmulator, wechat: WeChatMiniProgram) -> None:
    openid = login(emulator, wechat, "alice")
    emulator.grant_subscription("alice", ["tmpl_meeting"])
    with pytest.raises(WeChatError) as exc_info:
        wechat.send_subscribe_message(openid, "tmpl_meeting", {**MEETING, "thing1": "x" * 21})
    assert exc_info.value.errmsg == "argument invalid! data.thing1.value invalid"


# -- mini-program code ---------------------------------------------------------------


def test_unlimited_code_is_a_png(wechat: WeChatMiniProgram) -> None:
    image = wechat.get_unlimited_code("m=42&t=in", "pages/checkin/index", width=280)
    assert image.startswith(PNG)
    with Image.open(io.BytesIO(image)) as decoded:
        assert decoded.format == "PNG"
        assert decoded.size == (280, 280)


@pytest.mark.parametrize("scene", ["x" * 33, "id=1 2", "会议=1"])
def test_bad_scene_is_40169(wechat: WeChatMiniProgram, scene: str) -> None:
    with pytest.raises(WeChatError) as exc_info:
        wechat.get_unlimited_code(scene, "pages/checkin/index")
    assert errcode_of(exc_info) == 40169


# -- network failures -------------------------------------------------------------------


def test_emulator_down_is_unavailable() -> None:
    storage = MemoryStorage()
    with running_emulator() as emulator:
        client = WeChatMiniProgram(emulator.base_url, emulator.appid, emulator.secret, storage)
        client.code_to_session(emulator.login_code("a"))
        code = emulator.phone_code("a", "13800138000")
    try:
        # The token is cached, so this fails on the API call itself...
        with pytest.raises(WeChatUnavailable):
            client.get_phone_number(code)
        # ...and this one on fetching a token.
        storage.delete(f"{emulator.appid}_access_token")
        with pytest.raises(WeChatUnavailable) as exc_info:
            client.get_phone_number(code)
    finally:
        client.close()
    assert errcode_of(exc_info) == -1


def test_busy_is_unavailable(emulator: RunningEmulator, wechat: WeChatMiniProgram) -> None:
    emulator.fail_next("/sns/jscode2session")
    code = emulator.login_code("a")
    with pytest.raises(WeChatUnavailable) as exc_info:
        wechat.code_to_session(code)
    assert errcode_of(exc_info) == -1
    assert wechat.code_to_session(code)["openid"] == emulator.openid("a")


@pytest.mark.parametrize(
    ("errcode", "errmsg"),
    [(45009, "reach max api daily quota limit"), (45011, "api minute-quota reach limit")],
)
def test_rate_limits_are_worth_asking_again_later(
    emulator: RunningEmulator, wechat: WeChatMiniProgram, errcode: int, errmsg: str
) -> None:
    openid = login(emulator, wechat, "a")
    emulator.fail_next("/cgi-bin/message/subscribe/send", errcode, errmsg)
    with pytest.raises(WeChatUnavailable) as exc_info:
        wechat.send_subscribe_message(openid, "tmpl_quiz", {"thing1": "x"})
    assert errcode_of(exc_info) == errcode
    assert not exc_info.value.uncertain  # WeChat said it did nothing


def test_a_failing_gateway_may_have_passed_the_request_on(emulator: RunningEmulator, wechat: WeChatMiniProgram) -> None:
    openid = login(emulator, wechat, "a")
    emulator.fail_next_http("/cgi-bin/message/subscribe/send", 502)
    with pytest.raises(WeChatUnavailable) as exc_info:
        wechat.send_subscribe_message(openid, "tmpl_quiz", {"thing1": "x"})
    assert exc_info.value.uncertain


def test_no_answer_within_the_read_timeout_may_still_have_been_done(
    emulator: RunningEmulator, make_client: Any
) -> None:
    storage = MemoryStorage()
    openid = login(emulator, make_client(session=storage), "a")  # the token, fetched by a patient client
    impatient = make_client(session=storage, timeout=(2, 0.3))
    emulator.grant_subscription("a", ["tmpl_quiz"])
    emulator.delay_next("/cgi-bin/message/subscribe/send", 1.5)
    started = time.monotonic()
    with pytest.raises(WeChatUnavailable) as exc_info:
        impatient.send_subscribe_message(openid, "tmpl_quiz", {"thing1": "x"})
    assert time.monotonic() - started < 1.5
    assert exc_info.value.uncertain
    wait_for = time.monotonic() + 10
    while not emulator.messages(openid) and time.monotonic() < wait_for:
        time.sleep(0.05)
    assert len(emulator.messages(openid)) == 1  # delivered after we stopped waiting


def test_no_token_in_time_means_the_call_was_not_made(emulator: RunningEmulator, make_client: Any) -> None:
    storage = MemoryStorage()
    openid = emulator.openid("a")
    emulator.grant_subscription("a", ["tmpl_quiz"])
    emulator.delay_next("/cgi-bin/token", 1.5)
    with pytest.raises(WeChatUnavailable) as exc_info:
        make_client(session=storage, timeout=(2, 0.3)).send_subscribe_message(openid, "tmpl_quiz", {"thing1": "x"})
    assert not exc_info.value.uncertain  # safe to send again later
    assert make_client(session=storage).send_subscribe_message(openid, "tmpl_quiz", {"thing1": "x"})
    assert len(emulator.messages(openid)) == 1


def test_http_error_is_unavailable(emulator: RunningEmulator) -> None:
    base_url = emulator.base_url + "/nowhere"
    storage = MemoryStorage()
    client = WeChatMiniProgram(base_url, emulator.appid, emulator.secret, storage)
    try:
        with pytest.raises(WeChatUnavailable):  # a 404 from the token endpoint
            client.code_to_session(emulator.login_code("a"))
        # A token with no expiry is used as given (wechatpy: "user provided"),
        # so this 404 comes from the API endpoint itself.
        storage.set(f"{emulator.appid}_access_token", "token")
        with pytest.raises(WeChatUnavailable):
            client.get_phone_number(emulator.phone_code("a", "13800138000"))
    finally:
        client.close()


@pytest.mark.parametrize(
    ("listening", "uncertain"),
    [(True, True), (False, False)],
    ids=["connected-then-silent", "connection-refused"],
)
def test_no_answer_is_unavailable_and_says_whether_wechat_may_have_acted(listening: bool, uncertain: bool) -> None:
    # A socket that accepts connections but never answers; closed, one that refuses them.
    storage = MemoryStorage()
    storage.set("wx_a_access_token", "token")  # no expiry: used as given, so the call itself is made
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        if not listening:
            server.close()
        client = WeChatMiniProgram(f"http://127.0.0.1:{port}", "wx_a", "s", storage, timeout=(2, 0.2))
        try:
            with pytest.raises(WeChatUnavailable) as exc_info:
                client.code_to_session("code")
        finally:
            client.close()
    assert exc_info.value.uncertain is uncertain


# -- Flask integration -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("redis_url", "storage"),
    [(None, MemoryStorage), ("redis://127.0.0.1:1/0", SharedTokenStorage)],
)
def test_init_app(redis_url: str | None, storage: type) -> None:
    app = Flask(__name__)
    app.config.update(
        WECHAT_API_BASE="http://127.0.0.1:8900/",
        WECHAT_APPID="wx_a",
        WECHAT_SECRET="s",
        REDIS_URL=redis_url,
        WECHAT_CONNECT_TIMEOUT=1.5,
        WECHAT_READ_TIMEOUT=4,
    )
    init_app(app)
    with app.app_context():
        wechat = get_wechat()
    assert isinstance(wechat, WeChatMiniProgram)
    assert wechat.client.wxa.API_BASE_URL == "http://127.0.0.1:8900/"
    assert wechat.client.API_BASE_URL == "http://127.0.0.1:8900/cgi-bin/"
    assert isinstance(wechat.client.session, storage)
    assert wechat.client.timeout == (1.5, 4)
    wechat.close()


def test_the_token_is_kept_in_memory_while_redis_is_down(emulator: RunningEmulator, make_client: Any) -> None:
    """Nothing listens on port 1: every Redis call fails at once, as with Redis stopped."""
    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    client = make_client(session=SharedTokenStorage(dead))
    try:
        openid = login(emulator, client, "a")
        assert client.get_phone_number(emulator.phone_code("a", "13800138000")) == "13800138000"
        assert openid and emulator.state.tokens_issued == 1  # fetched once, then used from memory
    finally:
        dead.close()
