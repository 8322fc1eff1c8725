"""Phone screenshots (`make screens`): a jest render test's page, saved by saveScreen, becomes a PNG of the
phone screen in Chromium, with its Chinese text drawn in a Chinese font."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from playwright.sync_api import Browser, sync_playwright

from scripts import phone_screens
from server.config import PROJECT_ROOT

NPX = shutil.which("npx") or "npx"


@pytest.fixture(scope="module")
def sample_html(tmp_path_factory) -> Path:
    """Run the one jest test that saves the home page (with its card component), with SCREENS_DIR set."""
    html_dir = tmp_path_factory.mktemp("html")
    result = subprocess.run(
        [NPX, "jest", "--ci", "miniprogram/tests/screen.test.js", "-t", "saveScreen writes one HTML file"],
        cwd=PROJECT_ROOT,
        env=os.environ | {"SCREENS_DIR": str(html_dir)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    html = html_dir / "home--sample.html"
    assert html.exists(), "saveScreen wrote nothing although SCREENS_DIR was set"
    return html


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = phone_screens.launch(playwright)
        yield browser
        browser.close()


def test_a_render_test_becomes_a_phone_screenshot(sample_html, chromium, tmp_path):
    [png] = phone_screens.shoot(sample_html.parent, tmp_path / "png", chromium)
    assert png.name == "home--sample.png"
    image = Image.open(png).convert("RGB")
    # a 375-pixel phone at device scale 2, at least one screen high
    assert image.width == 750
    assert image.height >= 1334
    # the red navigation bar of app.json across the top
    assert image.getpixel((20, 100)) == (0xB7, 0x1C, 0x1C)
    # the page below it is drawn, not blank: white cards and text on the grey page
    body = image.crop((0, 130, 750, 1200))
    assert max(ImageStat.Stat(body).stddev) > 20
    assert len(body.getcolors(maxcolors=750 * 1334)) > 50

    sheet = phone_screens.contact_sheet([png], sample_html.parent, tmp_path / "png")
    assert 'src="home--sample.png"' in sheet.read_text(encoding="utf-8")


def test_chinese_text_is_drawn_in_a_chinese_font(sample_html, chromium):
    """Boxes in place of characters would still be pixels: ask Chromium which font drew the greeting."""
    page = chromium.new_page(viewport=phone_screens.PHONE)
    page.goto(sample_html.resolve().as_uri())
    page.evaluate("document.fonts.ready")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    greeting = cdp.send("DOM.querySelector", {"nodeId": root, "selector": ".header__greeting"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": greeting})["fonts"]
    page.close()
    drawn = {font["familyName"]: font["glyphCount"] for font in fonts}
    assert page_text_glyphs(drawn) >= len("张三同志，您好"), drawn


def page_text_glyphs(drawn: dict[str, int]) -> int:
    return sum(count for family, count in drawn.items() if "CJK" in family)
