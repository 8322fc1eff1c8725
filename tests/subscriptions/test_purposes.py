"""Which reminders a member is shown: every purpose the deployment has a template for, in the product's order,
in the same words as the mini-program."""

from __future__ import annotations

import re

import pytest

from server.config import PROJECT_ROOT
from server.mp_config import PURPOSES
from server.subscriptions.services import PURPOSE_TITLES
from tests.subscriptions.conftest import tap


def test_every_purpose_has_the_title_the_mini_program_uses():
    source = (PROJECT_ROOT / "miniprogram" / "utils" / "subscribe.js").read_text(encoding="utf-8")
    block = re.search(r"const PURPOSE_TITLES = \{(.*?)\};", source, re.S).group(1)
    assert dict(re.findall(r"(\w+): '([^']+)'", block)) == PURPOSE_TITLES
    assert set(PURPOSE_TITLES) == set(PURPOSES)


@pytest.fixture
def four_templates(app):
    """The deployment sends all four kinds of message (the tests' own sends only meeting reminders)."""
    templates = app.extensions["mp_config"]["subscribe_templates"]
    saved = dict(templates)
    for purpose in ("newspaper_issue", "dues_reminder", "quiz_open"):  # not in product order, on purpose
        templates[purpose] = {"template_id": f"tmpl_{purpose}", "page": "pages/home/index", "fields_": {"thing1": "x"}}
    yield
    templates.clear()
    templates.update(saved)


def test_each_purpose_of_the_deployment_is_listed_in_the_product_order(four_templates, bound):
    p = bound("张三")
    tap(p, template_id="tmpl_meeting")
    answer = p.post("/api/me/subscriptions", {"results": {"tmpl_dues_reminder": "accept", "tmpl_quiz_open": "reject"}})
    listed = [(item["title"], item["template_id"], item["status_label"]) for item in answer.get_json()["subscriptions"]]
    assert listed == [
        ("会议提醒", "tmpl_meeting", "还可提醒 1 次"),
        ("党费缴纳提醒", "tmpl_dues_reminder", "还可提醒 1 次"),
        ("答题开始提醒", "tmpl_quiz_open", "未开启"),
        ("手机报推送", "tmpl_newspaper_issue", "未开启"),
    ]
