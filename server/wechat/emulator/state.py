"""In-memory state of the WeChat emulator, shared by its blueprints.

Everything the emulator knows (issued access tokens, one-time codes, subscription quotas,
delivered messages) lives in one ``EmulatorState`` guarded by one lock, because the emulator
is served by a threaded server and several requests may redeem the same code at once.
The clock is injectable so tests can expire tokens and codes without sleeping.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from server.wechat.emulator.fields import validate_data

#: After a new access token is issued, WeChat keeps the previous ones valid for 5 minutes.
TOKEN_OVERLAP_SECONDS = 300
#: code2session: at most this many calls per user per minute (else errcode 45011).
CODE2SESSION_PER_MINUTE = 100

EXTENSION_KEY = "wechat_emulator"


class EmulatorError(Exception):
    """A WeChat error answer: the blueprints turn it into ``{"errcode", "errmsg"}``."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


def invalid_credential() -> EmulatorError:
    return EmulatorError(40001, "invalid credential, access_token is invalid or not latest")


def invalid_code() -> EmulatorError:
    return EmulatorError(40029, "invalid code")


@dataclass(frozen=True)
class HttpFailure:
    """An injected bare HTTP error status instead of WeChat's answer."""

    status: int


@dataclass(frozen=True)
class Delay:
    """An injected wait before WeChat's normal answer."""

    seconds: float


#: A call that is answered normally.
PASS = None
#: What an injected step can be: answer normally, an errcode, an HTTP failure, or a wait first.
Step = EmulatorError | HttpFailure | Delay | None


@dataclass
class _Token:
    expires_at: float
    superseded: bool = False


@dataclass
class _Code:
    user: str
    expires_at: float
    phone: str | None = None
    country_code: str = "86"


@dataclass
class DeliveredMessage:
    """One subscribe message as the member's phone received it."""

    msgid: int
    openid: str
    template_id: str
    page: str | None
    data: dict[str, str]
    miniprogram_state: str
    lang: str
    sent_at: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "msgid": self.msgid,
            "openid": self.openid,
            "template_id": self.template_id,
            "page": self.page,
            "data": dict(self.data),
            "miniprogram_state": self.miniprogram_state,
            "lang": self.lang,
            "sent_at": self.sent_at,
        }


@dataclass
class EmulatorState:
    """What one emulated mini-program (one appid) looks like from WeChat's side."""

    appid: str
    secret: str
    templates: dict[str, list[str]] = field(default_factory=dict)
    token_ttl: int = 7200
    code_ttl: int = 300
    issue_unionid: bool = False
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._offset = 0.0
        self._tokens: dict[str, _Token] = {}
        self._codes: dict[str, _Code] = {}
        self._phone_codes: dict[str, _Code] = {}
        self._users: dict[str, str] = {}  # openid -> user key
        self._quota: dict[tuple[str, str], int] = {}
        self._muted: set[str] = set()  # openids that turned notifications off in WeChat's settings
        self._code2session_calls: dict[str, deque[float]] = {}
        self._messages: list[DeliveredMessage] = []
        self._next_msgid = 1_000_000_001
        self._failures: dict[str, deque[Step]] = {}
        self._calls: dict[str, int] = {}
        self.tokens_issued = 0
        #: WeChat Pay v3 for this app's merchant (``paystate.PayState``), attached by the app factory.
        self.pay: Any = None

    # -- time ---------------------------------------------------------------

    def now(self) -> float:
        return self.clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (tests use this to expire tokens and codes)."""
        with self._lock:
            self._offset += seconds

    # -- identities ---------------------------------------------------------

    def openid(self, user: str) -> str:
        """The openid of a simulated user: stable per (appid, user), 28 chars like WeChat's."""
        digest = hmac.new(self.appid.encode(), user.encode(), hashlib.sha256).digest()
        openid = "o" + base64.urlsafe_b64encode(digest).decode()[:27]
        with self._lock:
            self._users[openid] = user
        return openid

    def unionid(self, user: str) -> str:
        # A unionid spans all apps of one open-platform account, so it ignores the appid.
        digest = hashlib.sha256(b"unionid:" + user.encode()).digest()
        return "o" + base64.urlsafe_b64encode(digest).decode()[:27]

    def knows_openid(self, openid: str) -> bool:
        with self._lock:
            return openid in self._users

    # -- credentials and access tokens -------------------------------------

    def check_app(self, appid: str | None, secret: str | None, bad_secret: EmulatorError) -> None:
        if appid != self.appid:
            raise EmulatorError(40013, "invalid appid")
        # Bytes, because compare_digest refuses non-ASCII str and a query can hold anything.
        if not secret or not hmac.compare_digest(secret.encode(), self.secret.encode()):
            raise bad_secret

    def issue_token(self) -> tuple[str, int]:
        token = secrets.token_urlsafe(96)
        with self._lock:
            now = self.now()
            for old in self._tokens.values():
                old.superseded = True
                old.expires_at = min(old.expires_at, now + TOKEN_OVERLAP_SECONDS)
            # Forget long-dead tokens so a long-running demo does not grow without bound.
            self._tokens = {k: v for k, v in self._tokens.items() if v.expires_at > now - 86400}
            self._tokens[token] = _Token(expires_at=now + self.token_ttl)
            self.tokens_issued += 1
        return token, self.token_ttl

    def check_token(self, token: str | None) -> None:
        with self._lock:
            entry = self._tokens.get(token or "")
            if entry is None:
                raise invalid_credential()
            if self.now() >= entry.expires_at:
                if entry.superseded:
                    raise invalid_credential()
                raise EmulatorError(42001, "access_token expired")

    # -- one-time codes -----------------------------------------------------

    def login_code(self, user: str) -> str:
        """What ``wx.login()`` returns on the user's phone."""
        self.openid(user)
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = _Code(user=user, expires_at=self.now() + self.code_ttl)
        return code

    def phone_code(self, user: str, phone: str, country_code: str = "86") -> str:
        """What the getPhoneNumber button hands to the mini-program."""
        self.openid(user)
        code = secrets.token_hex(32)
        with self._lock:
            self._phone_codes[code] = _Code(
                user=user,
                expires_at=self.now() + self.code_ttl,
                phone=phone,
                country_code=country_code,
            )
        return code

    def code2session(self, js_code: str) -> dict[str, str]:
        with self._lock:
            entry = self._codes.get(js_code)
            now = self.now()
            if entry is None or now >= entry.expires_at:
                self._codes.pop(js_code, None)
                raise invalid_code()
            calls = self._code2session_calls.setdefault(entry.user, deque())
            while calls and calls[0] <= now - 60:
                calls.popleft()
            if len(calls) >= CODE2SESSION_PER_MINUTE:
                raise EmulatorError(45011, "api minute-quota reach limit  mustslower  retry next minute")
            calls.append(now)
            del self._codes[js_code]
        result = {
            "openid": self.openid(entry.user),
            "session_key": base64.b64encode(secrets.token_bytes(16)).decode(),
        }
        if self.issue_unionid:
            result["unionid"] = self.unionid(entry.user)
        return result

    def redeem_phone_code(self, code: str) -> dict[str, Any]:
        with self._lock:
            entry = self._phone_codes.pop(code, None)
            now = self.now()
        if entry is None or entry.phone is None or now >= entry.expires_at:
            raise invalid_code()
        # WeChat omits the country code for mainland numbers only.
        full = entry.phone if entry.country_code == "86" else f"+{entry.country_code}{entry.phone}"
        return {
            "phoneNumber": full,
            "purePhoneNumber": entry.phone,
            "countryCode": entry.country_code,
            "watermark": {"timestamp": int(now), "appid": self.appid},
        }

    # -- subscribe messages -------------------------------------------------

    def grant_subscription(self, user: str, template_ids: Iterable[str]) -> None:
        """The user tapped "allow" in ``wx.requestSubscribeMessage``: one message per template."""
        openid = self.openid(user)
        with self._lock:
            for template_id in template_ids:
                key = (openid, template_id)
                self._quota[key] = self._quota.get(key, 0) + 1

    def set_notifications(self, user: str, enabled: bool) -> None:
        """The user switches this mini-program's notifications in WeChat's settings; consent is kept."""
        openid = self.openid(user)
        with self._lock:
            if enabled:
                self._muted.discard(openid)
            else:
                self._muted.add(openid)

    def quota(self, openid: str, template_id: str) -> int:
        with self._lock:
            return self._quota.get((openid, template_id), 0)

    def send_message(
        self,
        openid: str,
        template_id: str,
        data: Any,
        page: str | None = None,
        miniprogram_state: str = "formal",
        lang: str = "zh_CN",
    ) -> int:
        if not isinstance(openid, str) or not self.knows_openid(openid):
            raise EmulatorError(40003, "invalid openid")
        keys = self.templates.get(template_id) if isinstance(template_id, str) else None
        if keys is None:
            raise EmulatorError(40037, "invalid template_id")
        if miniprogram_state not in ("developer", "trial", "formal"):
            raise EmulatorError(47003, "argument invalid! miniprogram_state invalid")
        if lang not in ("zh_CN", "en_US", "zh_HK", "zh_TW"):
            raise EmulatorError(47003, "argument invalid! lang invalid")
        problem = validate_data(keys, data)
        if problem:
            raise EmulatorError(47003, f"argument invalid! {problem}")
        with self._lock:
            key = (openid, template_id)
            if self._quota.get(key, 0) <= 0 or openid in self._muted:
                raise EmulatorError(43101, "user refuse to accept the msg")
            self._quota[key] -= 1
            msgid = self._next_msgid
            self._next_msgid += 1
            self._messages.append(
                DeliveredMessage(
                    msgid=msgid,
                    openid=openid,
                    template_id=template_id,
                    page=page,
                    data={k: v["value"] for k, v in data.items()},
                    miniprogram_state=miniprogram_state,
                    lang=lang,
                    sent_at=self.now(),
                )
            )
        return msgid

    def messages(self, openid: str | None = None) -> list[DeliveredMessage]:
        with self._lock:
            return [m for m in self._messages if openid is None or m.openid == openid]

    # -- injected failures ----------------------------------------------------

    def _script(self, path: str, steps: Iterable[Step], after: int) -> None:
        with self._lock:
            queue = self._failures.setdefault(path, deque())
            queue.extend([PASS] * after)
            queue.extend(steps)

    def fail_next(
        self, path: str, errcode: int = -1, errmsg: str = "system error", times: int = 1, *, after: int = 0
    ) -> None:
        """Make ``times`` calls to ``path`` answer this error ("WeChat is busy"), after ``after`` normal ones."""
        self._script(path, (EmulatorError(errcode, errmsg) for _ in range(times)), after)

    def fail_next_http(self, path: str, status: int = 502, times: int = 1, *, after: int = 0) -> None:
        """Make calls to ``path`` answer a bare HTTP error, as a failing gateway in front of WeChat does."""
        self._script(path, (HttpFailure(status) for _ in range(times)), after)

    def delay_next(self, path: str, seconds: float, times: int = 1, *, after: int = 0) -> None:
        """Hold calls to ``path`` for ``seconds`` before answering them normally.

        The call still takes effect, as on WeChat: a client that gave up waiting cannot know whether its
        subscribe message was delivered.
        """
        self._script(path, (Delay(seconds) for _ in range(times)), after)

    def clear_failures(self) -> None:
        """Forget injected failures that a test did not use up."""
        with self._lock:
            self._failures.clear()

    def next_step(self, path: str) -> Step:
        """What the call now arriving at ``path`` should do; counts the call."""
        with self._lock:
            self._calls[path] = self._calls.get(path, 0) + 1
            queue = self._failures.get(path)
            return queue.popleft() if queue else PASS

    def calls(self, path: str) -> int:
        """How many calls have arrived at ``path`` (counted on arrival, before any delay)."""
        with self._lock:
            return self._calls.get(path, 0)


def get_state() -> EmulatorState:
    """The state of the emulator app handling the current request."""
    return current_app.extensions[EXTENSION_KEY]
