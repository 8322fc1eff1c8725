"""Configuration from environment variables.

The embedded default (a SQLite file under ``instance/``, no Redis, jobs in a SQLite queue) needs no
variable at all. Production sets ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY`` and the WeChat
settings. Code never branches on the mode; it reads these settings and the adapters choose.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def instance_dir() -> Path:
    path = Path(os.environ.get("INSTANCE_DIR", PROJECT_ROOT / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_dir() / 'edangwu.db'}"
    # psycopg 3 is the driver we ship; accept the usual postgres:// spellings.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def redis_url() -> str | None:
    return os.environ.get("REDIS_URL") or None


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance folder."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _int_env(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    """Settings read once when the app is created; tests pass overrides to ``create_app``."""

    def __init__(self) -> None:
        self.SECRET_KEY = _secret_key()
        self.SQLALCHEMY_DATABASE_URI = database_url()
        # No ping before each checkout: it is a round trip on every request (about 5% of a check-in's
        # CPU). Connections are replaced after five minutes instead, so none outlives a firewall's idle
        # cut; after a database restart the first failed statement makes SQLAlchemy discard the whole
        # pool, so each worker fails one request at most (tests/test_database_restart.py).
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 300}
        self.REDIS_URL = redis_url()
        # How many reverse proxies (nginx) stand in front of gunicorn; their X-Forwarded-* headers are
        # trusted so that rate limits and the audit trail see the member's address, not nginx's.
        self.TRUSTED_PROXIES = _int_env("TRUSTED_PROXIES", 0)
        self.MAX_CONTENT_LENGTH = 20 * 1024 * 1024
        self.JSON_AS_ASCII = False

        # Admin web sessions live on the server: Redis in production, files in the embedded mode.
        self.SESSION_PERMANENT = True
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=_int_env("ADMIN_SESSION_HOURS", 8))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
        self.WTF_CSRF_TIME_LIMIT = None  # bound to the session instead

        # Rate limits share Redis across workers; memory is enough for one embedded process.
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = True

        # WeChat: the emulator by default, the real service in production.
        self.WECHAT_API_BASE = os.environ.get("WECHAT_API_BASE", "http://127.0.0.1:8900")
        self.WECHAT_APPID = os.environ.get("WECHAT_APPID", "wx_demo_appid")
        self.WECHAT_SECRET = os.environ.get("WECHAT_SECRET", "demo_secret")

        # Per-deployment mini-program settings (app id, templates), checked at start-up.
        self.MP_CONFIG = os.environ.get("MP_CONFIG") or str(PROJECT_ROOT / "mp_config" / "demo.json")

        # Mini-program sessions and binding.
        self.MEMBER_TOKEN_DAYS = _int_env("MEMBER_TOKEN_DAYS", 30)
        self.BIND_TICKET_MINUTES = _int_env("BIND_TICKET_MINUTES", 10)
        self.INVITE_CODE_DAYS = _int_env("INVITE_CODE_DAYS", 7)
        self.ADMIN_MAX_FAILED_LOGINS = _int_env("ADMIN_MAX_FAILED_LOGINS", 5)
        self.ADMIN_LOCKOUT_MINUTES = _int_env("ADMIN_LOCKOUT_MINUTES", 15)

        # OpenAPI contract for the mini-program, served at /api/openapi.json.
        self.API_TITLE = "eDangwu mini-program API"
        self.API_VERSION = "1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"

        self.DISPLAY_TIMEZONE = "Asia/Shanghai"

        # Meeting check-in: how long a projected code stays valid (the screen refreshes it every few
        # seconds), how long a member's personal code lives, and when a check-in counts as late.
        self.MEETING_CODE_TTL = _int_env("MEETING_CODE_TTL", 15)
        self.MEETING_CODE_REFRESH = _int_env("MEETING_CODE_REFRESH", 5)
        self.MEMBER_CODE_TTL = _int_env("MEMBER_CODE_TTL", 60)
        self.MEETING_LATE_MINUTES = _int_env("MEETING_LATE_MINUTES", 5)
        # A member's own scans refused (outside the fence, a bad or stale code) this many times within
        # the window are answered "尝试次数过多" without being evaluated: coordinates cannot be guessed.
        self.CHECKIN_MAX_REFUSALS = _int_env("CHECKIN_MAX_REFUSALS", 5)
        self.CHECKIN_REFUSAL_WINDOW_MINUTES = _int_env("CHECKIN_REFUSAL_WINDOW_MINUTES", 10)
        # Minimum meeting frequency per kind: "month" | "quarter" | "year" | null to disable, merged over
        # server.meetings.compliance.DEFAULT_FREQUENCIES, e.g. MEETING_FREQUENCIES='{"party_lecture": null}'.
        self.MEETING_FREQUENCIES = json.loads(os.environ.get("MEETING_FREQUENCIES") or "{}")
