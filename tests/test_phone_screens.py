"""Phone screenshots (`make screens`): a jest render test's page, saved by saveScreen, becomes a PNG of the
phone screen in Chromium, with its Chinese text drawn in a Chinese font."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from playwright.sync_api import Browser, Playwright

from scripts import phone_screens
from server.config import PROJECT_ROOT

NPX = shutil.which("npx") or "npx"


@pytest.fixture(scope="module")
def sample_html(tmp_path_factory) -> Path:
    """Run the one jest test that saves the home page (with its card component), with SCREENS_DIR set."""
    html_dir = tmp_path_factory.mktemp("html")
    result = subprocess.run(
        [NPX, "jest", "--ci", "miniprogram/tests/screen-save.test.js", "-t", "saveScreen writes one HTML file"],
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
def chromium(playwright: Playwright) -> Iterator[Browser]:
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


# marks the page's first element whose own text is Chinese (whatever the page's classes are called)
MARK_CHINESE_TEXT = """() => {
  const chinese = /[\\u4e00-\\u9fff]/;
  for (const el of document.querySelectorAll('.wx-page *')) {
    const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.data).join('');
    if (chinese.test(own)) { el.setAttribute('data-chinese', ''); return own; }
  }
  return null;
}"""


def test_chinese_text_is_drawn_in_a_chinese_font(sample_html, chromium):
    """Boxes in place of characters would still be pixels: ask Chromium which font drew the page's text."""
    page = chromium.new_page(viewport=phone_screens.PHONE)
    page.goto(sample_html.resolve().as_uri())
    page.evaluate("document.fonts.ready")
    text = page.evaluate(MARK_CHINESE_TEXT)
    assert text and re.search("[\u4e00-\u9fff]", text), f"the sample page shows no Chinese text: {text!r}"
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    drawn = {}
    for selector in ("[data-chinese]", ".phone__title"):  # the page's text, and the navigation bar's
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        drawn[selector] = {font["familyName"]: font["glyphCount"] for font in fonts}
    page.close()
    assert set(drawn["[data-chinese]"]) == {"Noto Sans CJK SC"}, (text, drawn)
    assert set(drawn[".phone__title"]) == {"Noto Sans CJK SC"}, drawn
