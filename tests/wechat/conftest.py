"""A fresh WeChat emulator per test, on a real socket, and our client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.wechat.client import WeChatMiniProgram
from server.wechat.emulator import EmulatorState, create_emulator_app, emulator_state
from server.wechat.emulator.testing import (
    DEFAULT_APPID,
    DEFAULT_SECRET,
    RunningEmulator,
    running_emulator,
)

TEMPLATES = {
    "tmpl_meeting": ["thing1", "time2", "thing3"],
    "tmpl_dues": ["amount1", "character_string2", "phrase3"],
    "tmpl_quiz": ["thing1"],
    "tmpl_news": ["thing1"],
}


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator(DEFAULT_APPID, DEFAULT_SECRET, TEMPLATES) as running:
        yield running


@pytest.fixture
def wechat(emulator: RunningEmulator) -> Iterator[WeChatMiniProgram]:
    client = WeChatMiniProgram(emulator.base_url, emulator.appid, emulator.secret, timeout=2)
    yield client
    client.close()


@pytest.fixture
def emulator_app() -> Flask:
    """The emulator without a socket, for checking its answers one request at a time."""
    return create_emulator_app(DEFAULT_APPID, DEFAULT_SECRET, TEMPLATES)


@pytest.fixture
def state(emulator_app: Flask) -> EmulatorState:
    return emulator_state(emulator_app)


@pytest.fixture
def http(emulator_app: Flask) -> FlaskClient:
    return emulator_app.test_client()
