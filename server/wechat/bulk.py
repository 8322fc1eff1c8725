"""One subscribe message to many WeChat users: what a push sends, as cheaply as the machine allows.

``WeChatMiniProgram.send_subscribe_message`` costs a few milliseconds of CPU a call (wechatpy's request
building, the access token read from Redis twice, a new connection when the server closes it, requests'
scan of the environment for proxies). A push of 100,000 makes that the bottleneck, so ``BulkSubscribe``:

- builds the message body once: each call only puts the openid in front of it;
- takes the access token once per batch (and a new one only when WeChat refuses it: ``replace_token``
  fetches it once for all the threads refused at the same time, and the call is retried once — WeChat
  checks the token before anything else, so nothing was sent);
- keeps one keep-alive connection per thread (the standard library's ``http.client``: no retries, a message
  must not be sent twice by a library's retry), with requests' proxy settings and CA bundle read once. A
  connection the server closed while idle is opened again before the call, not found broken by it.

Errors leave as ``WeChatError`` / ``WeChatUnavailable`` exactly as from ``send_subscribe_message``: an
answer that is certain to have had no effect (never connected, busy, rate limit, a 4xx) is not
``uncertain``; one that may have (no answer in time, the connection cut, a gateway's 5xx) is.
"""

from __future__ import annotations

import http.client
import json
import select
import socket
import ssl
import threading
from typing import Any
from urllib.parse import urlsplit

import requests

from server.observability import metrics
from server.wechat.client import _TOKEN_REJECTED, WeChatMiniProgram, _error, subscribe_message_body
from server.wechat.errors import BUSY, WeChatError, WeChatUnavailable

_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Connection": "keep-alive"}


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
        body = subscribe_message_body(template_id, data, page, state, lang)
        self._rest = json.dumps(body, ensure_ascii=False)[1:]  # '"template_id": …}', after the openid
        self._wechat = wechat
        url = f"{wechat.base_url}/cgi-bin/message/subscribe/send"
        self._target = urlsplit(url)
        self._connect_timeout, self._read_timeout = _timeouts(wechat.client.timeout)
        proxy = requests.utils.get_environ_proxies(url).get(self._target.scheme)
        self._proxy = urlsplit(proxy) if proxy else None
        # through an HTTP proxy the request names the whole URL; directly, or tunnelled for HTTPS, its path
        whole = self._proxy is not None and self._target.scheme == "http"
        self._path = url if whole else self._target.path
        self._tls = ssl.create_default_context(cafile=requests.certs.where())
        self._token = wechat.access_token()
        self._local = threading.local()
        self._connections: list[http.client.HTTPConnection] = []
        self._connections_lock = threading.Lock()

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
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    def _connection(self) -> http.client.HTTPConnection:
        """This thread's connection, opened (again) if it has none or the server closed it while it was idle."""
        connection = getattr(self._local, "connection", None)
        if connection is not None and connection.sock is not None and _closed_by_peer(connection.sock):
            connection.close()
        if connection is None:
            connection = self._local.connection = self._new_connection()
            with self._connections_lock:
                self._connections.append(connection)
        if connection.sock is None:
            try:
                connection.connect()
            except OSError as exc:  # refused, unreachable, timed out, TLS failed: nothing was sent
                connection.close()
                raise WeChatUnavailable(BUSY, f"WeChat request failed: {exc}") from exc
            connection.sock.settimeout(self._read_timeout)
        return connection

    def _new_connection(self) -> http.client.HTTPConnection:
        target, proxy = self._target, self._proxy
        host, port = (proxy.hostname, proxy.port) if proxy else (target.hostname, target.port)
        if target.scheme == "https":
            connection = http.client.HTTPSConnection(host, port, timeout=self._connect_timeout, context=self._tls)
            if proxy:
                connection.set_tunnel(target.hostname, target.port or 443)
            return connection
        return http.client.HTTPConnection(host, port, timeout=self._connect_timeout)

    def _post(self, token: str, body: bytes) -> dict[str, Any]:
        connection = self._connection()
        try:
            connection.request("POST", f"{self._path}?access_token={token}", body=body, headers=_HEADERS)
            response = connection.getresponse()
            status, data = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            # Connected: WeChat may have the message even though its answer never came.
            connection.close()
            raise WeChatUnavailable(BUSY, f"WeChat request failed: {exc!r}", uncertain=True) from exc
        if response.will_close:
            connection.close()
        if status >= 400:
            # A 5xx may come from a gateway after WeChat got the message; a 4xx means it went nowhere.
            raise WeChatUnavailable(BUSY, f"HTTP {status} from WeChat", uncertain=status >= 500)
        try:
            result = json.loads(data)
        except ValueError as exc:
            raise WeChatUnavailable(BUSY, "WeChat's answer is not JSON", uncertain=True) from exc
        if not isinstance(result, dict):
            raise WeChatUnavailable(BUSY, "WeChat's answer is not a JSON object", uncertain=True)
        return result


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle keep-alive connection that has something to read has been closed (or broken) by the server."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _timeouts(timeout: Any) -> tuple[float, float]:
    return (timeout[0], timeout[1]) if isinstance(timeout, tuple) else (timeout, timeout)
