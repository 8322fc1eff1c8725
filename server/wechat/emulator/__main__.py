"""``python -m server.wechat.emulator --host 127.0.0.1 --port 8900``

The appid and secret come from ``WECHAT_APPID`` / ``WECHAT_SECRET`` (the same variables the app
reads, so both sides agree without extra setup); subscribe-message templates from a JSON file
``{"<template_id>": ["thing1", "time2", ...]}`` given by ``--templates``, else the deployment's
mp_config (``MP_CONFIG``, default ``mp_config/demo.json``). WeChat Pay's merchant takes
``WECHATPAY_MCHID``, ``WECHATPAY_MERCHANT_SERIAL``, ``WECHATPAY_APIV3_KEY`` and
``WECHATPAY_PLATFORM_PUBLIC_KEY_ID`` from the environment too (else the test-only values of
``server/wechat/pay/settings.py``); its keys are always the committed test-only keys. Payment and refund
notifications are sent by a background thread on WeChat's retry schedule.

Served by gunicorn: one worker process (the emulator's state is in its memory) with threads and keep-alive
connections, as WeChat's servers keep a connection open between calls. A push of 100,000 subscribe messages
costs the emulator a fraction of what a new connection and a thread per call did.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

from gunicorn.app.base import BaseApplication

from server import mp_config
from server.wechat.emulator.app import create_emulator_app, emulator_state
from server.wechat.emulator.paynotify import Dispatcher

log = logging.getLogger("wechat_emulator")


def load_templates(path: Path | None) -> dict[str, list[str]]:
    """Templates from a plain ``{template_id: [keywords]}`` file, or else from the deployment's mp_config."""
    if path is not None:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
            raise SystemExit(f"{path}: expected {{template_id: [field keys]}}")
        return {str(tid): [str(k) for k in keys] for tid, keys in data.items()}
    config = mp_config.load(os.environ.get("MP_CONFIG") or None)
    return mp_config.emulator_templates(config)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m server.wechat.emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--templates", type=Path, default=None, help="templates JSON file")
    parser.add_argument("--threads", type=int, default=16, help="calls answered at once (16)")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    appid = os.environ.get("WECHAT_APPID", "wx_demo_appid")
    secret = os.environ.get("WECHAT_SECRET", "demo_secret")
    templates = load_templates(args.templates)
    pay_env = {
        "mchid": "WECHATPAY_MCHID",
        "merchant_serial": "WECHATPAY_MERCHANT_SERIAL",
        "apiv3_key": "WECHATPAY_APIV3_KEY",
        "platform_public_key_id": "WECHATPAY_PLATFORM_PUBLIC_KEY_ID",
    }
    pay_settings = {key: os.environ[name] for key, name in pay_env.items() if os.environ.get(name)}

    def build():
        """In the worker process: the app, and the sender of payment notifications next to it."""
        app = create_emulator_app(appid, secret, templates, pay_settings=pay_settings)
        Dispatcher(emulator_state(app).pay).start()
        log.info("WeChat emulator for %s on http://%s:%s (%d templates)", appid, args.host, args.port, len(templates))
        return app

    _Server(build, {"bind": f"{args.host}:{args.port}", "threads": args.threads}).run()


class _Server(BaseApplication):
    """gunicorn with one gthread worker; the app is built in the worker, where its state lives."""

    def __init__(self, build, options: dict) -> None:
        self._build = build
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        settings = {
            "workers": 1,
            "worker_class": "gthread",
            "keepalive": 30,
            "graceful_timeout": 3,
            "timeout": 120,  # a test may hold a call for seconds (``delay_next``)
            "errorlog": "-",
            "loglevel": "warning",
            **self._options,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self):
        return self._build()


if __name__ == "__main__":
    main()
