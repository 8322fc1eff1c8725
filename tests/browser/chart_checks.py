"""What a secretary should never see on a drawn page: a chart label cut off ("…", or text running out
of its chart), a chart's title overlapping its bars' labels, or a bare database id where a name belongs."""

from __future__ import annotations

import re

from playwright.sync_api import Page

#: an id shown as such: "id 12", "ID：12", "org_id=3", "#45" (a meeting or issue number says 第…期 / its title)
BARE_ID = re.compile(r"(?<![A-Za-z])(?:[a-z]+_)?(?:id|ID|Id)\s*[:：=]?\s*\d+|(?<![&\w])#\d+\b")

# Every chart is an SVG (charts.js asks ECharts for the SVG renderer). Text elements are compared with the
# chart's box and with its title (the first text element ECharts draws, centred at the top).
_CHART_PROBLEMS = """
() => {
  const problems = [];
  for (const chart of document.querySelectorAll('.chart')) {
    const svg = chart.querySelector('svg');
    if (!svg) continue;
    const box = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim());
    const title = chart.dataset.title
      ? texts.find(t => t.textContent.trim() === chart.dataset.title) : null;
    const titleBox = title ? title.getBoundingClientRect() : null;
    for (const t of texts) {
      const r = t.getBoundingClientRect();
      const words = t.textContent.trim();
      if (/(\\.\\.\\.|…)$/.test(words)) problems.push(`${chart.id}: "${words}" cut off`);
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
        problems.push(`${chart.id}: "${words}" runs out of the chart`);
      if (titleBox && t !== title && r.width && r.height &&
          r.left < titleBox.right && r.right > titleBox.left && r.top < titleBox.bottom && r.bottom > titleBox.top)
        problems.push(`${chart.id}: "${words}" over the title (${r.top - box.top}–${r.bottom - box.top} px, ` +
                      `title ${titleBox.top - box.top}–${titleBox.bottom - box.top})`);
    }
  }
  return problems;
}
"""


def chart_problems(page: Page) -> list[str]:
    """Clipped, escaping or title-covering labels in the page's charts (drawn by then: wait before)."""
    return page.evaluate(_CHART_PROBLEMS)


def wait_for_charts(page: Page) -> None:
    """Until every chart container of the page holds its drawing (charts.js runs deferred)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart')].every(c => c.querySelector('svg text'))", timeout=10_000
    )


def bare_ids(text: str) -> list[str]:
    """Each bare id with a few words around it, to find where it is shown."""
    return [text[max(0, m.start() - 20) : m.end() + 10].replace("\n", " ") for m in BARE_ID.finditer(text)]
