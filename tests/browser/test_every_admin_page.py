"""Every admin page, opened as a branch secretary and as the committee on the demo data, is read for what a
secretary should never see: a stored enum value
instead of its Chinese word, "None", a UTC timestamp, a bare database id where a name belongs, a chart
label cut off or drawn over the chart's title (tests/browser/chart_checks.py), a server error or a
console error.

The pages are found as a secretary finds them: from the dashboard, following every admin link (one page
per view, so 40 meetings do not make 40 visits), not from a list kept here that a new page would miss.

`make admin-screens` also saves a full-page screenshot of each (test-artifacts/screenshots/pages/); the
test run does not, as they are a third of its time and nobody looks at them there.
"""

from __future__ import annotations

import os
import re
from collections import deque
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page
from werkzeug.exceptions import HTTPException

from server.db import db
from tests.browser.chart_checks import bare_ids, chart_problems, wait_for_charts
from tests.browser.conftest import SCREENSHOTS, login
from tests.browser.test_dues_browser import _no_console_errors

#: at most this many pages per account: every view of the admin today, with room to grow
LIMIT = 120
#: links that download, end the session or leave the pages (they are exercised elsewhere)
SKIPPED = re.compile(r"(\.xlsx|\.pdf|\.png|/logout|/static/|/api/|/live|/screen|/print)")
UTC_TEXT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def _enum_words() -> set[str]:
    """Values stored by the enums of every model that are unmistakably English (not a Chinese page's word)."""
    words: set[str] = set()
    for mapper in db.Model.registry.mappers:
        for attr in mapper.column_attrs:
            kind = attr.columns[0].type
            if isinstance(kind, sa.Enum) and kind.enum_class is not None:
                words.update(str(member.value) for member in kind.enum_class if len(str(member.value)) > 3)
    return words


def _endpoint(app: Flask, path: str) -> str | None:
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return endpoint


def _problems(page: Page, path: str, english: set[str]) -> list[str]:
    """What a secretary should never see on the page now open."""
    text = page.inner_text("main")
    problems = []
    if found := sorted(set(re.findall(r"[A-Za-z_]+", text)) & english):
        problems.append(f"{path}: stored values shown as such: {found}")
    if re.search(r"\bNone\b", text):
        problems.append(f"{path}: None")
    if UTC_TEXT.search(text):
        problems.append(f"{path}: a timestamp as stored, not in Beijing time")
    if ids := bare_ids(text):
        problems.append(f"{path}: bare ids {ids[:3]}")
    if page.locator(".chart").count():
        wait_for_charts(page)
        problems += [f"{path}: {problem}" for problem in chart_problems(page)]
    return problems


def _links(page: Page) -> list[str]:
    """The admin pages this page links to, as a secretary would follow them."""
    found = []
    for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
        target = urlsplit(href)
        if target.netloc or not target.path.startswith("/admin") or SKIPPED.search(target.path):
            continue
        found.append(target.path + (f"?{target.query}" if target.query else ""))
    return found


@pytest.mark.parametrize("account", ["shuji1", "dangwei"])
def test_every_admin_page_reads_in_chinese(page: Page, app: Flask, demo, account: str):
    """Each view is opened once, from the first link to it found from the dashboard, and read."""
    errors = _no_console_errors(page)
    login(page, account)
    english = _enum_words()
    folder = SCREENSHOTS / "pages" if os.environ.get("ADMIN_SCREENS") else None
    seen: dict[str, str] = {}
    problems: list[str] = []
    queue = deque(["/admin/"])
    while queue and len(seen) < LIMIT:
        path = queue.popleft()
        endpoint = _endpoint(app, path)
        if endpoint is None or endpoint in seen:
            continue
        seen[endpoint] = path
        response = page.goto(path)
        assert response is not None
        if response.status >= 400:
            problems.append(f"{path}: HTTP {response.status}")
            continue
        problems += _problems(page, path, english)
        if folder:
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / f"{account}--{endpoint}.png"), full_page=True)
        queue.extend(_links(page))
    assert len(seen) >= 25, sorted(seen)  # the dashboard, members, meetings, dues, newspaper, quizzes, …
    assert problems == []
    assert errors == []
