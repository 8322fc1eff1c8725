"""Consent fixtures: members of 甲一支部 bound through the emulator, each a WeChat user no other test uses.

The emulator lives for the whole run and keeps every user's quota, so each test's users are new ones.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
import requests

from server.meetings.models import Meeting
from tests.conftest import Phone
from tests.meetings.factories import schedule_theme_day_tomorrow

_users = itertools.count()


@pytest.fixture
def bound(tree, make_member, phone) -> Callable[..., Phone]:
    """``bound("张三")``: a member of 甲一支部 who bound a fresh WeChat user by phone number; their phone."""
    numbers = itertools.count(1)

    def make(name: str, org=None) -> Phone:
        number = f"1370000{next(numbers):04d}"
        make_member(org or tree["a1"], name, phone=number)
        p = phone(f"wx-consent-{next(_users)}")
        assert p.bind_phone(number).status_code == 200
        return p

    return make


@pytest.fixture
def meeting_tomorrow(tree) -> Callable[..., Meeting]:
    """A theme day of 甲一支部 starting in 20 hours: its reminder is due."""

    def make(title: str = "十二月主题党日") -> Meeting:
        return schedule_theme_day_tomorrow(tree["a1"], title)

    return make


def tap(p: Phone, answer: str = "accept", template_id: str = "tmpl_meeting"):
    """The member answers the subscribe dialog on the emulated phone, and the mini-program reports it."""
    result = requests.post(
        f"{p.emulator.base_url}/_phone/subscribe",
        json={"user": p.user, "template_ids": [template_id], "accept": answer == "accept"},
        timeout=5,
    ).json()
    return p.post("/api/me/subscriptions", {"results": {k: v for k, v in result.items() if k != "errMsg"}})
