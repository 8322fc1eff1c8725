"""WeChat for the app: ``init_app`` builds the mini-program client, ``get_wechat`` returns it."""

from __future__ import annotations

from flask import Flask, current_app
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage

from server.wechat.client import WeChatMiniProgram
from server.wechat.errors import WeChatError, WeChatUnavailable
from server.wechat.storage import SharedTokenStorage

__all__ = [
    "WeChatError",
    "WeChatMiniProgram",
    "WeChatUnavailable",
    "get_wechat",
    "init_app",
]

EXTENSION_KEY = "wechat"


def _token_storage(redis_url: str | None, redis_timeout: float) -> SessionStorage:
    # With Redis every worker shares one access token; fetching one per worker would keep
    # invalidating the others' (WeChat honours only the newest, plus 5 minutes of grace).
    if not redis_url:
        return MemoryStorage()
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=redis_timeout, socket_timeout=redis_timeout)
    return SharedTokenStorage(client)


def init_app(app: Flask) -> WeChatMiniProgram:
    wechat = WeChatMiniProgram(
        app.config["WECHAT_API_BASE"],
        app.config["WECHAT_APPID"],
        app.config["WECHAT_SECRET"],
        session=_token_storage(app.config.get("REDIS_URL"), app.config.get("REDIS_TIMEOUT", 2)),
        timeout=(app.config.get("WECHAT_CONNECT_TIMEOUT", 3), app.config.get("WECHAT_READ_TIMEOUT", 5)),
    )
    app.extensions[EXTENSION_KEY] = wechat
    return wechat


def get_wechat() -> WeChatMiniProgram:
    return current_app.extensions[EXTENSION_KEY]
