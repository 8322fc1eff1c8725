"""WeChat Pay v3 settings, and the emulator's test-only values the embedded default starts with.

Every setting comes from the environment through ``server.config.Config`` (names ``WECHATPAY_*``, see
``deploy/env.example``). Unset, each one is the emulator's test value below, so ``make run`` and the tests
need no set-up; ``server.config.check_production`` refuses to start production with any of them.
Keys may be given inline (PEM text, ``WECHATPAY_MERCHANT_PRIVATE_KEY``) or as a file
(``WECHATPAY_MERCHANT_PRIVATE_KEY_FILE``); the inline value wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEST_KEYS_DIR = Path(__file__).resolve().parent.parent / "emulator" / "keys"
TEST_MERCHANT_PRIVATE_KEY_FILE = TEST_KEYS_DIR / "TEST_ONLY_merchant_private_key.pem"
TEST_MERCHANT_PUBLIC_KEY_FILE = TEST_KEYS_DIR / "TEST_ONLY_merchant_public_key.pem"
TEST_PLATFORM_PRIVATE_KEY_FILE = TEST_KEYS_DIR / "TEST_ONLY_platform_private_key.pem"
TEST_PLATFORM_PUBLIC_KEY_FILE = TEST_KEYS_DIR / "TEST_ONLY_platform_public_key.pem"

#: The emulator's merchant: shapes as WeChat issues them (10-digit mchid, 40-hex serial, 32-byte key).
TEST_MCHID = "1900000109"
TEST_MERCHANT_SERIAL = "7E57000000000000000000000000000000000001"
TEST_APIV3_KEY = "TESTonlyEmulatorApiV3Key32bytes!"
TEST_PLATFORM_PUBLIC_KEY_ID = "PUB_KEY_ID_0119000001092026120100TEST0001"
DEFAULT_NOTIFY_URL = "http://127.0.0.1:5000/api/wechatpay/notify"

#: WeChat asks merchants to refuse a notification whose timestamp is more than 5 minutes off.
CALLBACK_MAX_SKEW_SECONDS = 300


def read_key(inline: str | None, path: str | Path | None) -> str:
    """A PEM key from its inline text or else its file."""
    if inline:
        return inline
    if not path:
        raise ValueError("no key given")
    return Path(path).read_text(encoding="ascii")


@dataclass(frozen=True)
class PaySettings:
    """What the adapter needs: one merchant, one mini-program, one platform public key."""

    api_base: str
    mchid: str
    appid: str
    merchant_serial: str
    merchant_private_key: str  # PEM
    apiv3_key: str
    platform_public_key: str  # PEM
    platform_public_key_id: str
    notify_url: str
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    callback_max_skew: int = CALLBACK_MAX_SKEW_SECONDS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PaySettings:
        return cls(
            api_base=config["WECHATPAY_API_BASE"],
            mchid=config["WECHATPAY_MCHID"],
            appid=config["WECHAT_APPID"],
            merchant_serial=config["WECHATPAY_MERCHANT_SERIAL"],
            merchant_private_key=config["WECHATPAY_MERCHANT_PRIVATE_KEY"],
            apiv3_key=config["WECHATPAY_APIV3_KEY"],
            platform_public_key=config["WECHATPAY_PLATFORM_PUBLIC_KEY"],
            platform_public_key_id=config["WECHATPAY_PLATFORM_PUBLIC_KEY_ID"],
            notify_url=config["WECHATPAY_NOTIFY_URL"],
            connect_timeout=config["WECHATPAY_CONNECT_TIMEOUT"],
            read_timeout=config["WECHATPAY_READ_TIMEOUT"],
            callback_max_skew=config["WECHATPAY_CALLBACK_MAX_SKEW"],
        )


def is_test_key(pem: str) -> bool:
    """Whether ``pem`` is one of the committed test-only keys (refused in production)."""
    normal = "".join(pem.split())
    return any(
        normal == "".join(path.read_text(encoding="ascii").split())
        for path in (TEST_MERCHANT_PRIVATE_KEY_FILE, TEST_PLATFORM_PUBLIC_KEY_FILE)
    )
