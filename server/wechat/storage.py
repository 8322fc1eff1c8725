"""Where the WeChat access token is kept: Redis shared by every process, this process's memory meanwhile."""

from __future__ import annotations

import logging
from typing import Any

import redis
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

log = logging.getLogger(__name__)


class SharedTokenStorage(SessionStorage):
    """The access token in Redis, so that every process uses one; in memory while Redis cannot be reached.

    WeChat honours only the newest token (and the previous one for 5 more minutes), so processes that
    each fetched their own would keep invalidating each other's. While Redis is down that is what
    happens, slowly: each process keeps the token it fetched and fetches again when WeChat refuses it
    (``WeChatMiniProgram`` retries once on a refused token). Members keep binding and receiving
    reminders meanwhile; back on Redis, the processes share one token again by themselves.
    """

    def __init__(self, client: redis.Redis, prefix: str = "wechatpy") -> None:
        self._shared = RedisStorage(client, prefix=prefix)
        self._local = MemoryStorage()

    def get(self, key: str, default: Any = None) -> Any:
        try:
            value = self._shared.get(key)
        except redis.RedisError as exc:
            log.warning("Redis unreachable, using this process's WeChat token: %s", exc)
            return self._local.get(key, default)
        return default if value is None else value

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        self._local.set(key, value, ttl)
        try:
            self._shared.set(key, value, ttl)
        except redis.RedisError as exc:
            log.warning("Redis unreachable, WeChat token kept in this process only: %s", exc)

    def delete(self, key: str) -> None:
        self._local.delete(key)
        try:
            self._shared.delete(key)
        except redis.RedisError as exc:
            log.warning("Redis unreachable, WeChat token not deleted there: %s", exc)
