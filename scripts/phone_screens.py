"""Phone screenshots: each page × state saved by the jest render tests (SCREENS_DIR, see
miniprogram/tests/screen.js) opened in Chromium at 375 px wide, device scale 2, and saved as
`<page>--<state>.png`, with an `index.html` contact sheet. `make screens` runs the tests, then this.

    python scripts/phone_screens.py [HTML_DIR] [OUT_DIR]     (defaults: build/screens/html build/screens)
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

from playwright.sync_api import Browser, Playwright, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script by `make screens`

from scripts.chromium import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
# text drawn the same on every machine, so screenshots can be compared
SCREEN_ARGS = [*CHROMIUM_ARGS, "--font-render-hinting=none"]
PHONE = {"width": 375, "height": 667}
# the first-screen line only where the page is longer than the phone
DROP_FOLD_ON_SHORT_PAGES = (
    "document.querySelector('.phone').offsetHeight <= 667 && document.querySelector('.phone__fold').remove()"
)
META = re.compile(r'<script type="application/json" id="screen-meta">(.*?)</script>', re.S)


def meta_of(page_html: Path) -> dict:
    found = META.search(page_html.read_text(encoding="utf-8"))
    return json.loads(found.group(1)) if found else {}


def launch(playwright: Playwright) -> Browser:
    if not Path(CHROMIUM).exists():
        raise SystemExit("Chromium is missing: run `make setup` (installs Debian's chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=SCREEN_ARGS)


def shoot(html_dir: Path, out_dir: Path, browser: Browser | None = None) -> list[Path]:
    """Screenshot every saved page; returns the PNGs written, in name order."""
    pages = sorted(html_dir.glob("*--*.html"))
    if not pages:
        raise SystemExit(f"no saved screens in {html_dir}: run the jest render tests with SCREENS_DIR set")
    if browser is None:
        with sync_playwright() as playwright:
            own = launch(playwright)
            try:
                return shoot(html_dir, out_dir, own)
            finally:
                own.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    # offline: a saved page is self-contained; anything it would fetch is a mistake, not a resource
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN", offline=True)
    tab = context.new_page()
    written = []
    for page_html in pages:
        tab.goto(page_html.resolve().as_uri())
        tab.evaluate("document.fonts.ready")
        tab.evaluate(DROP_FOLD_ON_SHORT_PAGES)
        png = out_dir / f"{page_html.stem}.png"
        tab.locator(".phone").screenshot(path=str(png), animations="disabled")
        written.append(png)
    context.close()
    return written


def contact_sheet(pngs: list[Path], html_dir: Path, out_dir: Path) -> Path:
    """index.html: every screenshot, grouped by page, with the test that rendered it."""
    by_page: dict[str, list[str]] = {}
    for png in pngs:
        meta = meta_of(html_dir / f"{png.stem}.html")
        page, _, state = png.stem.partition("--")
        caption = f"<b>{html.escape(state)}</b><br><small>{html.escape(meta.get('test', ''))}</small>"
        figure = f'<figure><a href="{png.name}"><img src="{png.name}" width="250" alt="{png.stem}"></a>'
        by_page.setdefault(page, []).append(f"{figure}<figcaption>{caption}</figcaption></figure>")
    sections = "".join(
        f"<section><h2>{html.escape(page)}</h2><div>{''.join(figures)}</div></section>"
        for page, figures in sorted(by_page.items())
    )
    style = (
        "body{font-family:'Noto Sans CJK SC',sans-serif;margin:24px;background:#fafafa}"
        "section>div{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}"
        "figure{margin:0;width:250px}img{border:1px solid #ccc;background:#fff}figcaption{font-size:13px}"
    )
    sheet = out_dir / "index.html"
    sheet.write_text(
        f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>Phone screens</title><style>{style}</style>'
        f"<h1>Phone screens ({len(pngs)})</h1>{sections}</html>\n",
        encoding="utf-8",
    )
    return sheet


def main(argv: list[str]) -> None:
    html_dir = Path(argv[1]) if len(argv) > 1 else ROOT / "build" / "screens" / "html"
    out_dir = Path(argv[2]) if len(argv) > 2 else ROOT / "build" / "screens"
    pngs = shoot(html_dir, out_dir)
    for png in pngs:  # each screen with the test that rendered it: what it shows
        print(f"{png.name}  {meta_of(html_dir / f'{png.stem}.html').get('test', '')}")
    print(f"{len(pngs)} screens; contact sheet {contact_sheet(pngs, html_dir, out_dir)}")


if __name__ == "__main__":
    main(sys.argv)
