"""The notifications WeChat Pay owes the merchant: signed, encrypted, retried on WeChat's schedule.

``NotificationOutbox`` is the part of ``paystate.PayState`` that queues ``TRANSACTION.SUCCESS`` and
``REFUND.*`` (SUCCESS, ABNORMAL, CLOSED) events and POSTs them: each attempt is encrypted (AES-256-GCM
under the APIv3 key) and signed (RSA-SHA256 with the platform key) afresh, as WeChat does. The test
controls (deliver now, duplicates, concurrent copies, replays, tampered and altered copies, holding
back) live here too.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256

BEIJING = timezone(timedelta(hours=8))
#: WeChat's documented notification retry intervals (seconds) after the first attempt: about 24 h in all.
RETRY_SCHEDULE = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600)
#: The envelope's ``summary`` of each event type, as WeChat words it.
SUMMARIES = {
    "TRANSACTION.SUCCESS": "支付成功",
    "REFUND.SUCCESS": "退款成功",
    "REFUND.ABNORMAL": "退款异常",
    "REFUND.CLOSED": "退款关闭",
}
#: How long WeChat waits for the merchant to answer a notification.
NOTIFY_TIMEOUT = 5.0

#: ``transport(url, headers, body, timeout) -> (http status, response text)``; raises on no answer.
Transport = Callable[[str, dict[str, str], bytes, float], tuple[int, str]]


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, BEIJING).isoformat(timespec="seconds")


def http_transport(url: str, headers: dict[str, str], body: bytes, timeout: float) -> tuple[int, str]:
    response = requests.post(url, data=body, headers=headers, timeout=timeout)
    return response.status_code, response.text


def sign(private_key: RSAPrivateKey, message: str) -> str:
    return base64.b64encode(private_key.sign(message.encode(), PKCS1v15(), SHA256())).decode()


def verify(public_key: RSAPublicKey, message: str, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature, validate=True), message.encode(), PKCS1v15(), SHA256())
    except Exception:
        return False
    return True


@dataclass
class Attempt:
    """One POST of a notification: when, with which headers and body, and what the merchant answered."""

    at: float
    headers: dict[str, str]
    body: bytes
    status: int | None  # None: no answer (refused connection, timeout)
    answer: str
    kind: str = "scheduled"  # scheduled | now | duplicate | replay | tampered

    @property
    def acknowledged(self) -> bool:
        return self.status in (200, 204)


@dataclass
class Notification:
    """One event WeChat owes the merchant (``TRANSACTION.SUCCESS`` or ``REFUND.SUCCESS|ABNORMAL|CLOSED``)."""

    id: str
    event_type: str
    url: str
    resource: dict[str, Any]  # the decrypted resource
    created_at: float
    out_trade_no: str
    next_due: float | None
    attempts: list[Attempt] = field(default_factory=list)
    acknowledged: bool = False

    @property
    def scheduled_attempts(self) -> int:
        return sum(1 for a in self.attempts if a.kind == "scheduled")


class NotificationOutbox:
    """Queued notifications and their delivery; mixed into ``PayState``, which sets these attributes."""

    platform_private_key: RSAPrivateKey
    platform_public_key_id: str
    apiv3_key: str
    now: Callable[[], float]
    _lock: threading.RLock
    notifications: list[Notification]
    held: bool
    transport: Transport

    # -- signing --------------------------------------------------------------

    def signed_headers(self, body: str, *, timestamp: int | None = None) -> dict[str, str]:
        """The ``Wechatpay-*`` headers WeChat puts on every answer and notification."""
        ts = str(int(self.now()) if timestamp is None else timestamp)
        nonce = secrets.token_hex(16).upper()
        return {
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": sign(self.platform_private_key, f"{ts}\n{nonce}\n{body}\n"),
            "Wechatpay-Serial": self.platform_public_key_id,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }

    def encrypt(self, plaintext: dict[str, Any], associated_data: str) -> dict[str, str]:
        nonce = secrets.token_hex(6)  # WeChat uses a 12-character printable nonce
        ciphertext = AESGCM(self.apiv3_key.encode()).encrypt(
            nonce.encode(), json.dumps(plaintext, ensure_ascii=False).encode(), associated_data.encode()
        )
        return {
            "original_type": associated_data,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(ciphertext).decode(),
            "associated_data": associated_data,
            "nonce": nonce,
        }

    # -- notifications ----------------------------------------------------------

    def _queue(self, event_type: str, url: str, resource: dict[str, Any], out_trade_no: str) -> Notification:
        note = Notification(
            id=str(uuid.uuid4()),
            event_type=event_type,
            url=url,
            resource=resource,
            created_at=self.now(),
            out_trade_no=out_trade_no,
            next_due=self.now(),
        )
        self.notifications.append(note)
        return note

    def envelope(self, note: Notification, resource: dict[str, Any] | None = None) -> str:
        original_type = "transaction" if note.event_type.startswith("TRANSACTION") else "refund"
        return json.dumps(
            {
                "id": note.id,
                "create_time": rfc3339(note.created_at),
                "resource_type": "encrypt-resource",
                "event_type": note.event_type,
                "summary": SUMMARIES.get(note.event_type, "支付成功"),
                "resource": self.encrypt(resource if resource is not None else note.resource, original_type),
            },
            ensure_ascii=False,
        )

    def send(
        self,
        note: Notification,
        *,
        kind: str,
        body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Attempt:
        """POST one attempt of ``note`` (freshly encrypted and signed unless given) and record the answer."""
        body = self.envelope(note) if body is None else body
        headers = self.signed_headers(body) if headers is None else headers
        raw = body.encode()
        all_headers = {"Content-Type": "application/json", "Request-ID": str(uuid.uuid4()), **headers}
        at = self.now()
        try:
            status, answer = self.transport(note.url, all_headers, raw, NOTIFY_TIMEOUT)
        except Exception as exc:
            status, answer = None, f"{type(exc).__name__}: {exc}"
        attempt = Attempt(at=at, headers=headers, body=raw, status=status, answer=answer, kind=kind)
        with self._lock:
            note.attempts.append(attempt)
            if attempt.acknowledged and kind in ("scheduled", "now", "duplicate"):
                note.acknowledged = True
                note.next_due = None
        return attempt

    def due(self) -> list[Notification]:
        with self._lock:
            if self.held:
                return []
            now = self.now()
            return [n for n in self.notifications if n.next_due is not None and n.next_due <= now]

    def deliver_due(self) -> list[Attempt]:
        """Make every scheduled attempt whose time has come (per the emulator's clock)."""
        attempts = []
        for note in self.due():
            with self._lock:
                if note.next_due is None or note.next_due > self.now():
                    continue
                note.next_due = None  # claimed: a concurrent dispatcher skips it
            attempt = self.send(note, kind="scheduled")
            attempts.append(attempt)
            with self._lock:
                if not note.acknowledged:
                    done = note.scheduled_attempts - 1  # retries already made
                    note.next_due = self.now() + RETRY_SCHEDULE[done] if done < len(RETRY_SCHEDULE) else None
        return attempts

    # -- test controls ----------------------------------------------------------------

    def latest(self, out_trade_no: str | None = None, event_type: str | None = None) -> Notification:
        found = self.find(out_trade_no, event_type)
        if not found:
            raise LookupError(f"no notification for {out_trade_no or 'any order'} ({event_type or 'any event'})")
        return found[-1]

    def send_duplicates(self, note: Notification, count: int, *, concurrent: bool = False) -> list[Attempt]:
        """``count`` more deliveries of ``note``, each freshly signed; ``concurrent``: all at the same moment."""
        if not concurrent:
            return [self.send(note, kind="duplicate") for _ in range(count)]
        barrier = threading.Barrier(count)
        results: list[Attempt] = []

        def one() -> None:
            barrier.wait()
            attempt = self.send(note, kind="duplicate")
            with self._lock:
                results.append(attempt)

        threads = [threading.Thread(target=one) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def replay(self, attempt: Attempt) -> Attempt:
        """Send an earlier delivery again byte for byte: its old timestamp, nonce and signature."""
        note = next(n for n in self.notifications if attempt in n.attempts)
        return self.send(note, kind="replay", body=attempt.body.decode(), headers=dict(attempt.headers))

    def send_altered(self, note: Notification, **changes: Any) -> Attempt:
        """A correctly signed and encrypted notification whose resource differs (``amount={...}``, ...):
        what the merchant would see if WeChat reported something other than its order."""
        body = self.envelope(note, {**note.resource, **changes})
        return self.send(note, kind="tampered", body=body)

    def send_tampered(self, note: Notification, how: str) -> Attempt:
        """A notification an attacker made or changed; ``how``: ``signature`` (body changed after signing),
        ``forged_key`` (signed by another key), ``serial`` (another platform key id), ``stale`` / ``future``
        (timestamp 10 minutes off, correctly signed), ``ciphertext`` (one byte of it flipped, then signed),
        ``no_signature_type`` (the Wechatpay-Signature-Type header missing)."""
        body = self.envelope(note)
        if how == "signature":
            headers = self.signed_headers(body)
            body = body.replace('"summary": "', '"summary": "X', 1)
        elif how == "forged_key":
            from cryptography.hazmat.primitives.asymmetric import rsa

            real, self.platform_private_key = self.platform_private_key, rsa.generate_private_key(65537, 2048)
            try:
                headers = self.signed_headers(body)
            finally:
                self.platform_private_key = real
        elif how == "serial":
            headers = {**self.signed_headers(body), "Wechatpay-Serial": "PUB_KEY_ID_0000000000000000000000000000FAKE"}
        elif how in ("stale", "future"):
            headers = self.signed_headers(body, timestamp=int(self.now()) + (-600 if how == "stale" else 600))
        elif how == "ciphertext":
            envelope = json.loads(body)
            raw = bytearray(base64.b64decode(envelope["resource"]["ciphertext"]))
            raw[len(raw) // 2] ^= 0x01
            envelope["resource"]["ciphertext"] = base64.b64encode(bytes(raw)).decode()
            body = json.dumps(envelope, ensure_ascii=False)
            headers = self.signed_headers(body)
        elif how == "no_signature_type":
            headers = self.signed_headers(body)
            del headers["Wechatpay-Signature-Type"]
        else:
            raise ValueError(f"unknown tampering {how!r}")
        return self.send(note, kind="tampered", body=body, headers=headers)

    def find(self, out_trade_no: str | None = None, event_type: str | None = None) -> list[Notification]:
        with self._lock:
            return [
                n
                for n in self.notifications
                if (out_trade_no is None or n.out_trade_no == out_trade_no)
                and (event_type is None or n.event_type == event_type)
            ]


class Dispatcher:
    """Sends due notifications in the background, as WeChat does on its own (the demo and ``make run``)."""

    def __init__(self, state: NotificationOutbox, interval: float = 0.5) -> None:
        self.state = state
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wechatpay-notify", daemon=True)

    def start(self) -> Dispatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=NOTIFY_TIMEOUT + 1)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.state.deliver_due()
