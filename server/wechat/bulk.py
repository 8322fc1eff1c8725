"""One subscribe message to many WeChat users: what a push sends, as cheaply as the machine allows.

``WeChatMiniProgram.send_subscribe_message`` costs a few milliseconds of CPU a call (wechatpy's request
building, the access token read from Redis twice, a new connection when the server closes it, requests'
scan of the environment for proxies). A push of 100,000 makes that the bottleneck, so ``BulkSubscribe``:

- builds the message body once: each call only puts the openid in front of it;
- takes the access token once per batch (and a new one only when WeChat refuses it: ``replace_token``
  fetches it once for all the threads refused at the same time, and the call is retried once — WeChat
  checks the token before anything else, so nothing was sent);
- keeps one keep-alive connection per thread (``urllib3``, no retries: a message must not be sent twice
  by a library's retry), with requests' proxy settings and CA bundle read once.

Errors leave as ``WeChatError`` / ``WeChatUnavailable`` exactly as from ``send_subscribe_message``: an
answer that is certain to have had no effect (never connected, busy, rate limit, a 4xx) is not
``uncertain``; one that may have (no answer in time, the connection cut, a gateway's 5xx) is.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import requests
import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError

from server.observability import metrics
from server.wechat.client import _TOKEN_REJECTED, WeChatMiniProgram, _error
from server.wechat.errors import BUSY, WeChatError, WeChatUnavailable

_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


class BulkSubscribe:
    """Sends one template with the same data and page to one openid at a time, from any number of threads."""

    def __init__(
        self,
        wechat: WeChatMiniProgram,
        template_id: str,
        data: dict[str, str],
        page: str | None = None,
        state: str = "formal",
        lang: str = "zh_CN",
    ) -> None:
        body: dict[str, Any] = {
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
            "miniprogram_state": state,
            "lang": lang,
        }
        if page:
            body["page"] = page
        self._rest = json.dumps(body, ensure_ascii=False)[1:]  # '"template_id": …}', after the openid
        self._wechat = wechat
        self._url = f"{wechat.base_url}/cgi-bin/message/subscribe/send"
        self._timeout = _timeout(wechat.client.timeout)
        self._proxy = requests.utils.get_environ_proxies(self._url).get(self._url.split(":", 1)[0])
        self._ca_certs = requests.certs.where()
        self._token = wechat.access_token()
        self._local = threading.local()
        self._pools: list[urllib3.PoolManager] = []
        self._pools_lock = threading.Lock()

    def send(self, openid: str) -> int:
        """Send the message to ``openid``; WeChat's msgid."""
        body = f'{{"touser": {json.dumps(openid)}, {self._rest}'.encode()
        token = self._token
        try:
            result = self._post(token, body)
            if result.get("errcode") in _TOKEN_REJECTED:
                token = self._token = self._wechat.replace_token(token)
                result = self._post(token, body)
            errcode = int(result.get("errcode") or 0)
            if errcode:
                raise _error(errcode, str(result.get("errmsg", "")))
            if "msgid" not in result:
                raise WeChatUnavailable(BUSY, "unexpected WeChat response: no msgid")
        except WeChatError as error:
            metrics.count_wechat_error(error.errcode)
            raise
        return int(result["msgid"])

    def close(self) -> None:
        with self._pools_lock:
            for pool in self._pools:
                pool.clear()
            self._pools.clear()

    def _pool(self) -> urllib3.PoolManager:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            options = {"num_pools": 1, "maxsize": 1, "retries": False, "ca_certs": self._ca_certs}
            pool = urllib3.ProxyManager(self._proxy, **options) if self._proxy else urllib3.PoolManager(**options)
            self._local.pool = pool
            with self._pools_lock:
                self._pools.append(pool)
        return pool

    def _post(self, token: str, body: bytes) -> dict[str, Any]:
        try:
            response = self._pool().urlopen(
                "POST",
                f"{self._url}?access_token={token}",
                body=body,
                headers=_HEADERS,
                timeout=self._timeout,
                retries=False,
                redirect=False,
            )
        except (ConnectTimeoutError, NewConnectionError) as exc:
            raise WeChatUnavailable(BUSY, f"WeChat request failed: {exc}") from exc  # never connected: not sent
        except HTTPError as exc:
            raise WeChatUnavailable(BUSY, f"WeChat request failed: {exc}", uncertain=True) from exc
        if response.status >= 400:
            # A 5xx may come from a gateway after WeChat got the message; a 4xx means it went nowhere.
            status = response.status
            raise WeChatUnavailable(BUSY, f"HTTP {status} from WeChat", uncertain=status >= 500)
        try:
            result = json.loads(response.data)
        except ValueError as exc:
            raise WeChatUnavailable(BUSY, "WeChat's answer is not JSON", uncertain=True) from exc
        if not isinstance(result, dict):
            raise WeChatUnavailable(BUSY, "WeChat's answer is not a JSON object", uncertain=True)
        return result


def _timeout(timeout: Any) -> urllib3.Timeout:
    if isinstance(timeout, tuple):
        return urllib3.Timeout(connect=timeout[0], read=timeout[1])
    return urllib3.Timeout(total=None, connect=timeout, read=timeout)
