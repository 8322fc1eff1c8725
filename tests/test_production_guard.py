"""A production deployment refuses to start with the emulator's or the demo's settings; the embedded
mode's generated key is readable by its owner only, from its first byte."""

from __future__ import annotations

import os
import re
import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from server import create_app
from server.config import ProductionConfigError, embedded_secret_key
from server.mp_config import MpConfigError


def _pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    return private, key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


MERCHANT_KEY, _ = _pem_pair()
_, PLATFORM_KEY = _pem_pair()

PRODUCTION = {
    "DATABASE_URL": "postgresql://edangwu@127.0.0.1:1/edangwu",  # never connected to: the check comes first
    "SECRET_KEY": "0123456789abcdef" * 4,
    "WECHAT_API_BASE": "https://api.weixin.qq.com",
    "WECHAT_APPID": "wx8a1b2c3d4e5f6a7b",
    "WECHAT_SECRET": "5f4dcc3b5aa765d61d8327deb882cf99",
    "WECHATPAY_API_BASE": "https://api.mch.weixin.qq.com",
    "WECHATPAY_MCHID": "1611223344",
    "WECHATPAY_MERCHANT_SERIAL": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
    "WECHATPAY_MERCHANT_PRIVATE_KEY": MERCHANT_KEY,
    "WECHATPAY_APIV3_KEY": "a9f3c2e1b7d84f60a1b2c3d4e5f60718",
    "WECHATPAY_PLATFORM_PUBLIC_KEY": PLATFORM_KEY,
    "WECHATPAY_PLATFORM_PUBLIC_KEY_ID": "PUB_KEY_ID_0116112233442026112000112233445566",
    "WECHATPAY_NOTIFY_URL": "https://dangwu.example.com/api/wechatpay/notify",
    "MINUTES_ANCHOR_KEY": "fedcba9876543210" * 4,
}


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """``environment(**changes)``: a correct production environment, with ``changes`` (None unsets)."""
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("EDANGWU_STAGING", raising=False)

    def apply(**changes: str | None) -> None:
        for name, value in (PRODUCTION | changes).items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)

    return apply


def start(tmp_path: Path):
    """Create the app; a broken mini-program file stops it right after the production check, if it passes."""
    broken = tmp_path / "broken_mp_config.json"
    broken.write_text("{}")
    return create_app({"MP_CONFIG": str(broken)})


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"WECHAT_API_BASE": None}, "WECHAT_API_BASE"),  # the default is the emulator
        ({"WECHAT_API_BASE": "http://127.0.0.1:8900"}, "WECHAT_API_BASE"),
        ({"WECHAT_API_BASE": "http://localhost:9000"}, "WECHAT_API_BASE"),
        ({"WECHAT_API_BASE": "http://[::1]:8900"}, "WECHAT_API_BASE"),
        ({"WECHAT_APPID": None}, "WECHAT_APPID"),
        ({"WECHAT_APPID": "wx_demo_appid"}, "WECHAT_APPID"),
        ({"WECHAT_APPID": "CHANGE_ME"}, "WECHAT_APPID"),
        ({"WECHAT_SECRET": None}, "WECHAT_SECRET"),
        ({"WECHAT_SECRET": "demo_secret"}, "WECHAT_SECRET"),
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "CHANGE_ME"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short-key"}, "SECRET_KEY"),
        ({"MINUTES_ANCHOR_KEY": None}, "MINUTES_ANCHOR_KEY"),  # would be derived from SECRET_KEY
        ({"MINUTES_ANCHOR_KEY": "CHANGE_ME"}, "MINUTES_ANCHOR_KEY"),
        ({"MINUTES_ANCHOR_KEY": "short-key"}, "MINUTES_ANCHOR_KEY"),
        ({"WECHATPAY_API_BASE": None}, "WECHATPAY_API_BASE"),  # the emulator
        ({"WECHATPAY_API_BASE": "http://api.mch.weixin.qq.com"}, "WECHATPAY_API_BASE"),
        ({"WECHATPAY_MCHID": None}, "WECHATPAY_MCHID"),
        ({"WECHATPAY_MCHID": "CHANGE_ME"}, "WECHATPAY_MCHID"),
        ({"WECHATPAY_MERCHANT_SERIAL": None}, "WECHATPAY_MERCHANT_SERIAL"),
        ({"WECHATPAY_APIV3_KEY": None}, "WECHATPAY_APIV3_KEY"),
        ({"WECHATPAY_PLATFORM_PUBLIC_KEY_ID": None}, "WECHATPAY_PLATFORM_PUBLIC_KEY_ID"),
        ({"WECHATPAY_MERCHANT_PRIVATE_KEY": None}, "WECHATPAY_MERCHANT_PRIVATE_KEY"),  # the committed test key
        ({"WECHATPAY_PLATFORM_PUBLIC_KEY": None}, "WECHATPAY_PLATFORM_PUBLIC_KEY"),
        ({"WECHATPAY_NOTIFY_URL": None}, "WECHATPAY_NOTIFY_URL"),
        ({"WECHATPAY_NOTIFY_URL": "http://dangwu.example.com/api/wechatpay/notify"}, "WECHATPAY_NOTIFY_URL"),
    ],
)
def test_production_refuses_to_start_and_names_the_setting(environment, tmp_path, changes, setting):
    environment(**changes)
    with pytest.raises(ProductionConfigError) as refusal:
        start(tmp_path)
    message = str(refusal.value)
    assert re.search(rf"\b{setting}\b", message)
    assert "Refusing to start" in message and "拒绝启动" in message
    assert "EDANGWU_STAGING=1" in message  # and says how a real staging deployment gets past


def test_every_problem_is_named_at_once(environment, tmp_path):
    environment(WECHAT_API_BASE=None, WECHAT_APPID=None, WECHAT_SECRET=None, SECRET_KEY=None)
    with pytest.raises(ProductionConfigError) as refusal:
        start(tmp_path)
    for name in ("WECHAT_API_BASE", "WECHAT_APPID", "WECHAT_SECRET", "SECRET_KEY"):
        assert name in str(refusal.value)


def test_correct_production_settings_pass(environment, tmp_path):
    environment()
    with pytest.raises(MpConfigError):  # past the production check, stopped by the broken file
        start(tmp_path)


def test_a_staging_deployment_says_so_and_may_use_the_emulator(environment, tmp_path, monkeypatch):
    environment(WECHAT_API_BASE=None, WECHAT_APPID=None, WECHAT_SECRET=None, SECRET_KEY=None)
    monkeypatch.setenv("EDANGWU_STAGING", "1")
    with pytest.raises(MpConfigError):
        start(tmp_path)


def test_the_embedded_default_needs_no_setting(environment, tmp_path):
    environment(DATABASE_URL=None, WECHAT_API_BASE=None, WECHAT_APPID=None, WECHAT_SECRET=None, SECRET_KEY=None)
    with pytest.raises(MpConfigError):
        start(tmp_path)


def test_the_generated_key_is_owner_only_from_its_first_byte(tmp_path, monkeypatch):
    modes = []
    real_write = os.write

    def watching(fd: int, data: bytes) -> int:
        modes.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", watching)
    old_umask = os.umask(0)  # the most permissive umask: nothing but the code keeps others out
    try:
        key = embedded_secret_key(tmp_path)
    finally:
        os.umask(old_umask)
    assert modes and set(modes) == {0o600}
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert len(key) == 64 and embedded_secret_key(tmp_path) == key  # kept, not regenerated
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]


def test_processes_starting_together_share_one_key(tmp_path):
    barrier, keys = threading.Barrier(8), []

    def start_one() -> None:
        barrier.wait()
        keys.append(embedded_secret_key(tmp_path))

    threads = [threading.Thread(target=start_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]


def test_a_key_file_left_readable_by_an_older_release_is_closed(tmp_path):
    (tmp_path / "secret_key").write_text("k" * 64)
    (tmp_path / "secret_key").chmod(0o644)
    assert embedded_secret_key(tmp_path) == "k" * 64
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
