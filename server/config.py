"""Configuration from environment variables.

The embedded default (a SQLite file under ``instance/``, no Redis, jobs in a SQLite queue) needs no
variable at all. Production sets ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY`` and the WeChat
settings. Code never branches on the mode; it reads these settings and the adapters choose.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from server.wechat.pay import settings as pay_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The emulator's and the demo's settings: the embedded default, refused in production (``check_production``).
DEFAULT_WECHAT_API_BASE = "http://127.0.0.1:8900"
DEMO_SETTINGS = {"WECHAT_APPID": "wx_demo_appid", "WECHAT_SECRET": "demo_secret"}
PLACEHOLDER = "CHANGE_ME"  # what deploy/env.example ships
MIN_SECRET_KEY_LENGTH = 32


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


def embedded_secret_key(directory: Path) -> str:
    """The embedded mode's SECRET_KEY: generated once into ``directory/secret_key``, for its owner's eyes only.

    The key is written into a private temporary file, created owner-only (there is no moment when
    another user could open it), and linked into place in one step. A second process starting at the
    same time either links first or reads the whole key the first one linked: never a half-written
    file, never a second key.
    """
    path = directory / "secret_key"
    if not path.exists():
        temporary = directory / f".secret_key.{os.getpid()}.{secrets.token_hex(8)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_hex(32).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: its key is the key
        finally:
            temporary.unlink()
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # written by an earlier release, readable by others until now
    return path.read_text().strip()


def display_timezone() -> str:
    """Where times are shown and days, months and quarters counted; stored times are always UTC."""
    return os.environ.get("DISPLAY_TIMEZONE", "Asia/Shanghai")


def _int_env(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _float_env(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def redis_timeout() -> float:
    """Seconds to wait for Redis to connect or answer: a Redis host that vanished must not hang requests."""
    return _float_env("REDIS_TIMEOUT", 2)


class Config:
    """Settings read once when the app is created; tests pass overrides to ``create_app``."""

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or embedded_secret_key(instance_dir())
        self.SECRET_KEY_FROM_ENVIRONMENT = bool(os.environ.get("SECRET_KEY"))
        # A deployment on PostgreSQL is production, and refuses to start with the emulator's or the
        # demo's settings (``check_production``) unless it says it is a staging deployment.
        self.STAGING = os.environ.get("EDANGWU_STAGING") == "1"
        self.SQLALCHEMY_DATABASE_URI = database_url()
        # No ping before each checkout: it is a round trip on every request (about 5% of a check-in's
        # CPU). Connections are replaced after five minutes instead, so none outlives a firewall's idle
        # cut; after a database restart the first failed statement makes SQLAlchemy discard the whole
        # pool, so each worker fails one request at most (tests/test_database_restart.py).
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 300}
        self.REDIS_URL = redis_url()
        self.REDIS_TIMEOUT = redis_timeout()
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

        # Rate limits share Redis across workers; memory is enough for one embedded process. While Redis
        # is down each process counts in its own memory (the same limits, per process) and goes back to
        # Redis by itself once it answers: members keep logging in, and the limits still hold.
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_STORAGE_OPTIONS = {
            "socket_connect_timeout": self.REDIS_TIMEOUT,
            "socket_timeout": self.REDIS_TIMEOUT,
        }
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_HEADERS_ENABLED = True

        # A job whose worker died (or that could not be queued) goes back to the queue once its lease has
        # run out; a running job renews its lease as it makes progress.
        self.JOB_LEASE_MINUTES = _int_env("JOB_LEASE_MINUTES", 5)

        # Pushes of newspaper issues (and later notices), server/inbox/push.py: members pushed per job, WeChat
        # calls at once within a job (also the most members with more than one consent claimed at a time),
        # chains of jobs per push, claims after which a push WeChat keeps answering "busy" is given up, and the
        # quiet hours (display time zone) when pushes that are not urgent wait ("" for none). A push runs at
        # most PUSH_JOBS × PUSH_THREADS calls at once.
        self.PUSH_BATCH_SIZE = _int_env("PUSH_BATCH_SIZE", 500)
        self.PUSH_THREADS = _int_env("PUSH_THREADS", 8)  # a call waits on the network: 8 in flight per job
        # Members with exactly one consent claimed at once per slice (server/inbox/push.py: they are sent again
        # if a worker dies holding them, so a larger slice costs no losses and fewer transactions).
        self.PUSH_CLAIM_SIZE = _int_env("PUSH_CLAIM_SIZE", 64)
        self.PUSH_JOBS = _int_env("PUSH_JOBS", 2)
        self.PUSH_MAX_ATTEMPTS = _int_env("PUSH_MAX_ATTEMPTS", 8)
        self.PUSH_QUIET_HOURS = os.environ.get("PUSH_QUIET_HOURS", "22:00-07:00")

        # Notices (server/notices/): how many one admin account may send a day unless the committee sets its
        # own number, and the least time between two reminders of one notice (each reminder is a push).
        self.NOTICE_DAILY_LIMIT = _int_env("NOTICE_DAILY_LIMIT", 10)
        self.NOTICE_REMIND_INTERVAL_MINUTES = _int_env("NOTICE_REMIND_INTERVAL_MINUTES", 10)

        # WeChat: the emulator by default, the real service in production.
        self.WECHAT_API_BASE = os.environ.get("WECHAT_API_BASE", DEFAULT_WECHAT_API_BASE)
        self.WECHAT_APPID = os.environ.get("WECHAT_APPID", DEMO_SETTINGS["WECHAT_APPID"])
        self.WECHAT_SECRET = os.environ.get("WECHAT_SECRET", DEMO_SETTINGS["WECHAT_SECRET"])
        # Seconds to wait for WeChat to accept the connection, then for its answer. A member waits this
        # long at most before "微信服务暂时不可用"; WeChat usually answers within a second.
        self.WECHAT_CONNECT_TIMEOUT = _float_env("WECHAT_CONNECT_TIMEOUT", 3)
        self.WECHAT_READ_TIMEOUT = _float_env("WECHAT_READ_TIMEOUT", 5)

        # WeChat Pay v3 (server/wechat/pay/): the emulator and its test-only keys by default, refused in
        # production. Keys inline (PEM) or from a file; the platform key is "微信支付公钥" and its id.
        self.WECHATPAY_API_BASE = os.environ.get("WECHATPAY_API_BASE", DEFAULT_WECHAT_API_BASE)
        self.WECHATPAY_MCHID = os.environ.get("WECHATPAY_MCHID", pay_settings.TEST_MCHID)
        self.WECHATPAY_MERCHANT_SERIAL = os.environ.get("WECHATPAY_MERCHANT_SERIAL", pay_settings.TEST_MERCHANT_SERIAL)
        self.WECHATPAY_MERCHANT_PRIVATE_KEY = pay_settings.read_key(
            os.environ.get("WECHATPAY_MERCHANT_PRIVATE_KEY"),
            os.environ.get("WECHATPAY_MERCHANT_PRIVATE_KEY_FILE") or pay_settings.TEST_MERCHANT_PRIVATE_KEY_FILE,
        )
        self.WECHATPAY_APIV3_KEY = os.environ.get("WECHATPAY_APIV3_KEY", pay_settings.TEST_APIV3_KEY)
        self.WECHATPAY_PLATFORM_PUBLIC_KEY = pay_settings.read_key(
            os.environ.get("WECHATPAY_PLATFORM_PUBLIC_KEY"),
            os.environ.get("WECHATPAY_PLATFORM_PUBLIC_KEY_FILE") or pay_settings.TEST_PLATFORM_PUBLIC_KEY_FILE,
        )
        self.WECHATPAY_PLATFORM_PUBLIC_KEY_ID = os.environ.get(
            "WECHATPAY_PLATFORM_PUBLIC_KEY_ID", pay_settings.TEST_PLATFORM_PUBLIC_KEY_ID
        )
        # Where WeChat POSTs payment and refund notifications: https, reachable from the internet.
        self.WECHATPAY_NOTIFY_URL = os.environ.get("WECHATPAY_NOTIFY_URL", pay_settings.DEFAULT_NOTIFY_URL)
        self.WECHATPAY_CONNECT_TIMEOUT = _float_env("WECHATPAY_CONNECT_TIMEOUT", 3)
        self.WECHATPAY_READ_TIMEOUT = _float_env("WECHATPAY_READ_TIMEOUT", 10)
        # A notification signed more than this many seconds from our clock is refused (WeChat: 5 minutes).
        self.WECHATPAY_CALLBACK_MAX_SKEW = _int_env(
            "WECHATPAY_CALLBACK_MAX_SKEW", pay_settings.CALLBACK_MAX_SKEW_SECONDS
        )

        # Per-deployment mini-program settings (app id, templates), checked at start-up.
        self.MP_CONFIG = os.environ.get("MP_CONFIG") or str(PROJECT_ROOT / "mp_config" / "demo.json")

        # Mini-program sessions and binding.
        self.MEMBER_TOKEN_DAYS = _int_env("MEMBER_TOKEN_DAYS", 30)
        self.BIND_TICKET_MINUTES = _int_env("BIND_TICKET_MINUTES", 10)
        self.INVITE_CODE_DAYS = _int_env("INVITE_CODE_DAYS", 7)

        # OpenAPI contract for the mini-program, served at /api/openapi.json.
        self.API_TITLE = "eDangwu mini-program API"
        self.API_VERSION = "1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"

        self.DISPLAY_TIMEZONE = display_timezone()

        # Meeting check-in: how long a projected code stays valid (the screen refreshes it every few
        # seconds), how long a member's personal code lives, and when a check-in counts as late.
        self.MEETING_CODE_TTL = _int_env("MEETING_CODE_TTL", 15)
        self.MEETING_CODE_REFRESH = _int_env("MEETING_CODE_REFRESH", 5)
        self.MEMBER_CODE_TTL = _int_env("MEMBER_CODE_TTL", 60)
        self.MEETING_LATE_MINUTES = _int_env("MEETING_LATE_MINUTES", 5)
        # A meeting is scheduled before it starts; this many minutes' slack lets a secretary fill in the
        # form as the meeting begins. Any earlier start may only be entered as a 补录 (meetings.backfill).
        self.MEETING_START_GRACE_MINUTES = _int_env("MEETING_START_GRACE_MINUTES", 10)
        # A member's own scans refused (outside the fence, a bad or stale code) this many times within
        # the window are answered "尝试次数过多" without being evaluated: coordinates cannot be guessed.
        self.CHECKIN_MAX_REFUSALS = _int_env("CHECKIN_MAX_REFUSALS", 5)
        self.CHECKIN_REFUSAL_WINDOW_MINUTES = _int_env("CHECKIN_REFUSAL_WINDOW_MINUTES", 10)
        # Minimum meeting frequency per kind: "month" | "quarter" | "year" | null to disable, merged over
        # server.meetings.compliance_rules.DEFAULT_FREQUENCIES, e.g. MEETING_FREQUENCIES='{"party_lecture": null}'.
        self.MEETING_FREQUENCIES = json.loads(os.environ.get("MEETING_FREQUENCIES") or "{}")
        # 出勤率最低: the attendance page lists members whose yearly rate is below this percentage.
        self.ATTENDANCE_LOW_PERCENT = _int_env("ATTENDANCE_LOW_PERCENT", 80)

        # Minutes chain anchors: each organisation's chain head, signed and appended to a file outside
        # the database, so a chain cut at its end is noticed. Keep the directory off the database's
        # machine or copy it away with the backups; share it between all web and worker machines.
        self.MINUTES_ANCHOR_DIR = os.environ.get("MINUTES_ANCHOR_DIR") or str(instance_dir() / "anchors")
        # The signing key. Unset: derived from SECRET_KEY, so changing SECRET_KEY voids earlier anchors
        # and printed signatures; production sets its own and never changes it.
        self.MINUTES_ANCHOR_KEY = os.environ.get("MINUTES_ANCHOR_KEY") or None
        # A finalised record still missing from the anchor file after this many hours is reported
        # (the export runs hourly): the export stopped, or the file was cut.
        self.MINUTES_ANCHOR_GRACE_HOURS = _int_env("MINUTES_ANCHOR_GRACE_HOURS", 24)

        # Observability (server/observability/, deploy/README.md "Observability"). Logs: level, and "json" (one
        # object a line, production) or "text". /metrics: scrapers connecting straight from these networks, or
        # presenting "Authorization: Bearer <METRICS_TOKEN>". Sentry only with a DSN; no personal data is sent.
        self.LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
        self.LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
        self.METRICS_ALLOW_IPS = os.environ.get("METRICS_ALLOW_IPS", "127.0.0.1,::1")
        self.METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
        self.SENTRY_DSN = os.environ.get("SENTRY_DSN") or None
        self.SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT") or None
        self.SENTRY_RELEASE = os.environ.get("SENTRY_RELEASE") or None
        self.SENTRY_TRACES_SAMPLE_RATE = _float_env("SENTRY_TRACES_SAMPLE_RATE", 0)

        # Backups (server/backups/, deploy/README.md "Backups"): where `flask backup` writes, and how many to
        # keep: the newest of each of the last BACKUP_KEEP_DAILY days and of the last BACKUP_KEEP_WEEKLY weeks.
        self.BACKUP_DIR = os.environ.get("BACKUP_DIR") or str(instance_dir() / "backups")
        self.BACKUP_KEEP_DAILY = _int_env("BACKUP_KEEP_DAILY", 7)
        self.BACKUP_KEEP_WEEKLY = _int_env("BACKUP_KEEP_WEEKLY", 8)

        # Learning points: the most a member earns from each source in one Beijing day (null: no cap), in
        # the spirit of 学习强国 (6 a day for articles and for the challenge quiz), merged over these
        # defaults, e.g. POINTS_DAILY_CAPS='{"practice": 10}'.
        self.POINTS_DAILY_CAPS = {"practice": 5, "exam": None, "contest": 6, "reading": 6} | json.loads(
            os.environ.get("POINTS_DAILY_CAPS") or "{}"
        )
        # Points for reading a newspaper article to the end.
        self.POINTS_PER_ARTICLE = _int_env("POINTS_PER_ARTICLE", 1)
        # Where the leaderboards live in Redis (production): one sorted set per organisation and period.
        self.POINTS_REDIS_PREFIX = os.environ.get("POINTS_REDIS_PREFIX", "edangwu:points")
        # Seconds each web process keeps a board's best 50 for the phones (a member's own rank is always
        # read live); 0 reads them on every request.
        self.LEADERBOARD_SHARED_S = _float_env("LEADERBOARD_SHARED_S", 5)


# --- The production guard -------------------------------------------------------------------------


class ProductionConfigError(RuntimeError):
    """A production deployment configured with the emulator's or the demo's settings."""


def _is_local(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def production_problems(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What is wrong for production, each in English and in Chinese."""
    problems = []
    base = config["WECHAT_API_BASE"]
    if base == DEFAULT_WECHAT_API_BASE or _is_local(base):
        problems.append(
            (
                f"WECHAT_API_BASE is {base}, the WeChat emulator: set WECHAT_API_BASE=https://api.weixin.qq.com",
                f"WECHAT_API_BASE 为 {base}，指向微信模拟器：请设置 WECHAT_API_BASE=https://api.weixin.qq.com",
            )
        )
    for name, demo in DEMO_SETTINGS.items():
        if config[name] in (demo, PLACEHOLDER):
            problems.append(
                (
                    f"{name} is the demo value {config[name]}: set the mini-program's own, from the WeChat console",
                    f"{name} 仍为演示值 {config[name]}：请填写微信公众平台上本小程序的真实值",
                )
            )
    problems.extend(wechatpay_problems(config))
    key = config["SECRET_KEY"]
    if not config["SECRET_KEY_FROM_ENVIRONMENT"]:
        problems.append(
            (
                "SECRET_KEY is not set in the environment (a generated key differs on every machine)",
                "环境变量中没有 SECRET_KEY（自动生成的密钥每台机器各不相同）",
            )
        )
    elif key == PLACEHOLDER or len(key) < MIN_SECRET_KEY_LENGTH:
        problems.append(
            (
                f"SECRET_KEY is {'the placeholder' if key == PLACEHOLDER else 'too short'}: "
                'generate one with python3 -c "import secrets; print(secrets.token_hex(32))"',
                f"SECRET_KEY {'仍为占位值' if key == PLACEHOLDER else '过短'}："
                '请用 python3 -c "import secrets; print(secrets.token_hex(32))" 生成',
            )
        )
    problems.extend(anchor_key_problems(config))
    return problems


def anchor_key_problems(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Without a key of its own, the minutes anchors are signed with one derived from SECRET_KEY: rotating
    that secret would make every earlier anchor and printed signature read as forged."""
    key = config.get("MINUTES_ANCHOR_KEY") or ""
    if key and key != PLACEHOLDER and len(key) >= MIN_SECRET_KEY_LENGTH:
        return []
    state = ("is the placeholder", "仍为占位值") if key == PLACEHOLDER else ("is too short", "过短")
    if not key:
        state = ("is not set", "未设置")
    return [
        (
            f"MINUTES_ANCHOR_KEY {state[0]}: the minutes anchors need a key of their own that outlives "
            'SECRET_KEY; generate one with python3 -c "import secrets; print(secrets.token_hex(32))"',
            f"MINUTES_ANCHOR_KEY {state[1]}：会议记录锚点需要独立于 SECRET_KEY 的密钥，"
            '请用 python3 -c "import secrets; print(secrets.token_hex(32))" 生成',
        )
    ]


def wechatpay_problems(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """WeChat Pay settings still pointing at the emulator or holding its test-only values."""
    problems = []
    base = config["WECHATPAY_API_BASE"]
    if base == DEFAULT_WECHAT_API_BASE or _is_local(base) or not base.startswith("https://"):
        problems.append(
            (
                f"WECHATPAY_API_BASE is {base}, not WeChat Pay: set WECHATPAY_API_BASE=https://api.mch.weixin.qq.com",
                f"WECHATPAY_API_BASE 为 {base}，不是微信支付：请设置 WECHATPAY_API_BASE=https://api.mch.weixin.qq.com",
            )
        )
    tests = {
        "WECHATPAY_MCHID": pay_settings.TEST_MCHID,
        "WECHATPAY_MERCHANT_SERIAL": pay_settings.TEST_MERCHANT_SERIAL,
        "WECHATPAY_APIV3_KEY": pay_settings.TEST_APIV3_KEY,
        "WECHATPAY_PLATFORM_PUBLIC_KEY_ID": pay_settings.TEST_PLATFORM_PUBLIC_KEY_ID,
    }
    for name, test_value in tests.items():
        if config[name] in (test_value, PLACEHOLDER, ""):
            problems.append(
                (
                    f"{name} is the emulator's test value: set the merchant's own, from the WeChat Pay console",
                    f"{name} 仍为模拟器的测试值：请填写微信支付商户平台上的真实值",
                )
            )
    for name in ("WECHATPAY_MERCHANT_PRIVATE_KEY", "WECHATPAY_PLATFORM_PUBLIC_KEY"):
        if pay_settings.is_test_key(config[name]):
            problems.append(
                (
                    f"{name} is the emulator's public test key: set {name}_FILE to the merchant's own key file",
                    f"{name} 仍为模拟器公开的测试密钥：请用 {name}_FILE 指定商户自己的密钥文件",
                )
            )
    notify = config["WECHATPAY_NOTIFY_URL"]
    if not notify.startswith("https://") or _is_local(notify):
        problems.append(
            (
                f"WECHATPAY_NOTIFY_URL is {notify}: WeChat Pay only notifies a public https address",
                f"WECHATPAY_NOTIFY_URL 为 {notify}：微信支付只向公网 https 地址发送通知",
            )
        )
    return problems


def check_production(config: Mapping[str, Any]) -> None:
    """Refuse to start a production deployment (PostgreSQL) that still has the emulator's or the
    demo's settings, unless ``EDANGWU_STAGING=1`` says it is a staging deployment on purpose."""
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") or config["STAGING"]:
        return
    problems = production_problems(config)
    if not problems:
        return
    english = "\n".join(f"  - {en}" for en, _ in problems)
    chinese = "\n".join(f"  - {zh}" for _, zh in problems)
    raise ProductionConfigError(
        "Refusing to start: DATABASE_URL is PostgreSQL, so this is a production deployment, but\n"
        f"{english}\n"
        "Fix these settings (deploy/env.example), or set EDANGWU_STAGING=1 for a staging deployment that "
        "runs against the emulator or demo settings on purpose.\n"
        "拒绝启动：DATABASE_URL 指向 PostgreSQL，即生产部署，但\n"
        f"{chinese}\n"
        "请修正以上设置（见 deploy/env.example）；"
        "如确为有意使用模拟器或演示设置的预发布环境，请设置 EDANGWU_STAGING=1。"
    )
