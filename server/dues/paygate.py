"""The app's WeChat Pay adapter, built from the config on first use (one per settings, per process)."""

from __future__ import annotations

import time

from flask import current_app

from server.wechat.pay import PaySettings, WeChatPayClient

EXTENSION_KEY = "wechatpay"


def get_pay() -> WeChatPayClient:
    """The adapter for ``current_app``'s WECHATPAY_* settings. ``WECHATPAY_CLOCK`` (tests: the emulator's
    clock) is what "now" means when a notification's timestamp is checked."""
    settings = PaySettings.from_config(current_app.config)
    cached = current_app.extensions.get(EXTENSION_KEY)
    clock = current_app.config.get("WECHATPAY_CLOCK") or time.time
    if cached is None or cached.settings != settings or cached.clock is not clock:
        cached = WeChatPayClient(settings, clock=clock)
        current_app.extensions[EXTENSION_KEY] = cached
    return cached
