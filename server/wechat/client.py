"""Our mini-program's side of WeChat: login, phone number, subscribe messages, mini-program codes.

Built on wechatpy's ``WeChatClient``, aimed at a configurable base URL (the emulator offline,
``https://api.weixin.qq.com`` in production) by one subclass rather than by patching wechatpy.
Every failure leaves this module as ``WeChatError`` / ``WeChatUnavailable``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, NotRequired, TypedDict, TypeVar

import requests
from urllib3.exceptions import NewConnectionError
from wechatpy import WeChatClient
from wechatpy.client.api.base import BaseWeChatAPI
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from server.observability import metrics
from server.wechat.errors import BUSY, RETRY_LATER, WeChatError, WeChatUnavailable

T = TypeVar("T")
#: seconds, or (seconds to connect, seconds to wait for the answer) as requests takes it
Timeout = float | tuple[float, float]

#: Where wechatpy's API groups point by default; rewritten to our base URL.
WECHAT_API_BASE = "https://api.weixin.qq.com"
#: Errcodes that mean "the access token you sent is no good": refresh it and retry once.
_TOKEN_REJECTED = frozenset({40001, 40014, 42001})
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


class CodeSession(TypedDict):
    openid: str
    session_key: str
    unionid: NotRequired[str]


class _BaseUrlClient(WeChatClient):
    """wechatpy's client with every api.weixin.qq.com URL it uses moved to ``base_url``.

    wechatpy's own auto-retry is off: on a rejected token it recurses without limit, and its
    token fetch has no timeout. ``WeChatMiniProgram`` retries once instead.
    """

    def __init__(
        self,
        base_url: str,
        appid: str,
        secret: str,
        session: SessionStorage | None,
        timeout: Timeout,
    ) -> None:
        super().__init__(appid, secret, session=session, timeout=timeout, auto_retry=False)
        self.last_used = threading.local()
        self.base_url = base_url.rstrip("/")
        self.API_BASE_URL = f"{self.base_url}/cgi-bin/"
        # wechatpy's __new__ gave each instance its own API group objects, so setting their
        # API_BASE_URL here changes this client only. vars() rather than inspect.getmembers():
        # the latter would read the access_token property and fetch a token.
        for api in vars(self).values():
            url = getattr(api, "API_BASE_URL", None) if isinstance(api, BaseWeChatAPI) else None
            if url and url.startswith(WECHAT_API_BASE):
                api.API_BASE_URL = self.base_url + url[len(WECHAT_API_BASE) :]

    @property
    def access_token(self) -> str:
        """The token for the call about to be made, remembered for this thread: if WeChat refuses it,
        ``WeChatMiniProgram`` replaces it only if no other thread has done so meanwhile."""
        token = super().access_token
        self.last_used.token = token
        return token

    def fetch_access_token(self) -> dict[str, Any]:
        params = {
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self.secret,
        }
        try:
            res = self._http.get(f"{self.base_url}/cgi-bin/token", params=params, timeout=self.timeout)
            res.raise_for_status()
            result = res.json()
        except requests.RequestException as exc:
            # Certain to have done nothing for our caller: the call the token was for was not made.
            raise WeChatUnavailable(BUSY, f"access token request failed: {exc}") from exc
        if not isinstance(result, dict):
            raise WeChatUnavailable(BUSY, "access token response is not a JSON object")
        errcode = int(result.get("errcode") or 0)
        if errcode:
            raise _error(errcode, str(result.get("errmsg", "")))
        if not result.get("access_token"):
            raise WeChatUnavailable(BUSY, "access token response has no access_token")
        expires_in = int(result.get("expires_in", 7200))
        # wechatpy's keys: "<appid>_access_token" and "<appid>_access_token_expires_at", so
        # several apps can share one Redis; RedisStorage adds its "wechatpy:" prefix.
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result

    def close(self) -> None:
        self._http.close()


def _error(errcode: int, errmsg: str) -> WeChatError:
    if errcode in RETRY_LATER:
        return WeChatUnavailable(errcode, errmsg or "system busy")
    return WeChatError(errcode, errmsg)


def _translate(exc: WeChatClientException) -> WeChatError:
    if exc.errcode is None:
        # wechatpy raises this for an HTTP error status (no WeChat errcode to report). A 5xx may come
        # from a gateway after WeChat got the request; a 4xx means it went nowhere.
        status = getattr(exc.response, "status_code", None) or 0
        return WeChatUnavailable(BUSY, f"HTTP {status} from WeChat", uncertain=status >= 500)
    return _error(int(exc.errcode), str(exc.errmsg))


def _unreachable(exc: requests.RequestException) -> WeChatUnavailable:
    """A call that failed on the network: certain to have had no effect only if it never connected."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    never_connected = isinstance(exc, requests.ConnectTimeout) or isinstance(reason, NewConnectionError)
    return WeChatUnavailable(BUSY, f"WeChat request failed: {exc}", uncertain=not never_connected)


def _field(result: Any, *path: str) -> Any:
    value = result
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise WeChatUnavailable(BUSY, f"unexpected WeChat response: no {'.'.join(path)}")
        value = value[key]
    return value


def subscribe_message_body(
    template_id: str, data: dict[str, str], page: str | None, state: str, lang: str
) -> dict[str, Any]:
    """A subscribe message's body but its ``touser``: the template, its fields' values and what it opens."""
    body: dict[str, Any] = {
        "template_id": template_id,
        "data": {key: {"value": value} for key, value in data.items()},
        "miniprogram_state": state,
        "lang": lang,
    }
    if page:
        body["page"] = page
    return body


class WeChatMiniProgram:
    """The WeChat server APIs our mini-program backend uses."""

    def __init__(
        self,
        base_url: str,
        appid: str,
        secret: str,
        session: SessionStorage | None = None,
        timeout: Timeout = (3, 5),
    ) -> None:
        self.appid = appid
        self.base_url = base_url.rstrip("/")
        self._client = _BaseUrlClient(self.base_url, appid, secret, session, timeout)
        self._refresh_lock = threading.Lock()

    @property
    def client(self) -> WeChatClient:
        """The underlying wechatpy client, for an API this adapter does not wrap yet."""
        return self._client

    def close(self) -> None:
        self._client.close()

    def access_token(self) -> str:
        """The access token every process shares (fetched if there is none yet or it is about to expire)."""
        try:
            return self._client.access_token
        except requests.RequestException as exc:
            raise _unreachable(exc) from exc

    def replace_token(self, refused: str | None) -> str:
        """A token to use instead of ``refused``: fetched unless another thread already replaced it.

        A batch of pushes runs on several threads: when the token expires they are all refused at
        once, and one new token serves them all (each fetch would also cut the others' short).
        """
        with self._refresh_lock:
            stored = self._client.session.get(self._client.access_token_key)
            if refused is None or stored in (refused, None):
                self._client.fetch_access_token()
                stored = self._client.session.get(self._client.access_token_key)
        return stored

    def _refresh_token(self) -> None:
        self.replace_token(getattr(self._client.last_used, "token", None))

    def _call(self, request: Callable[[], T]) -> T:
        try:
            return self._attempt(request)
        except WeChatError as error:
            metrics.count_wechat_error(error.errcode)
            raise

    def _attempt(self, request: Callable[[], T]) -> T:
        try:
            self._client.last_used.token = None
            try:
                return request()
            except WeChatClientException as exc:
                if exc.errcode not in _TOKEN_REJECTED:
                    raise
                # Our cached token was refused (expired early, or superseded by a fetch
                # elsewhere): fetch a fresh one and try once more. No side effect has happened,
                # WeChat checks the token before anything else.
                self._refresh_token()
                return request()
        except WeChatClientException as exc:
            raise _translate(exc) from exc
        except requests.RequestException as exc:
            raise _unreachable(exc) from exc

    def code_to_session(self, js_code: str) -> CodeSession:
        """Exchange a ``wx.login()`` code (single use, 5 minutes) for the member's openid."""
        result = self._call(lambda: self._client.wxa.code_to_session(js_code))
        session: CodeSession = {
            "openid": _field(result, "openid"),
            "session_key": _field(result, "session_key"),
        }
        if result.get("unionid"):
            session["unionid"] = result["unionid"]
        return session

    def get_phone_number(self, code: str) -> str:
        """The phone number (without country code) behind a getPhoneNumber button code."""
        result = self._call(lambda: self._client.wxa.get_phone_number(code))
        return str(_field(result, "phone_info", "purePhoneNumber"))

    def send_subscribe_message(
        self,
        openid: str,
        template_id: str,
        data: dict[str, str],
        page: str | None = None,
        state: str = "formal",
        lang: str = "zh_CN",
    ) -> int:
        """Send a one-time subscribe message; returns WeChat's msgid.

        ``state`` is which build the message opens: "developer", "trial" or "formal".
        wechatpy's ``wxa.send_subscribe_message`` cannot send it, so we post the body ourselves.
        """
        body = {"touser": openid, **subscribe_message_body(template_id, data, page, state, lang)}
        url = f"{self.base_url}/cgi-bin/message/subscribe/send"
        result = self._call(lambda: self._client.post(url, data=body))
        return int(_field(result, "msgid"))

    def get_unlimited_code(
        self,
        scene: str,
        page: str,
        width: int = 430,
        *,
        check_path: bool = True,
        env_version: str = "release",
    ) -> bytes:
        """The mini-program code image (PNG from the emulator) opening ``page`` with ``scene``.

        Posted directly because wechatpy's ``get_wxa_code_unlimited`` lacks check_path and
        env_version, which an unreleased page or a trial build needs.
        """
        body = {
            "scene": scene,
            "page": page,
            "width": width,
            "check_path": check_path,
            "env_version": env_version,
        }
        url = f"{self.base_url}/wxa/getwxacodeunlimit"
        # wechatpy hands back the raw requests.Response when the body is not JSON (the image);
        # a JSON body is an error and has already been raised.
        res = self._call(lambda: self._client.post(url, data=body))
        if not isinstance(res, requests.Response) or not res.content.startswith(_IMAGE_SIGNATURES):
            raise WeChatUnavailable(BUSY, "unexpected WeChat response: not an image")
        return res.content
