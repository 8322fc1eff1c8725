"""Article bodies: whatever the secretary pastes in, only what the mini-program's ``rich-text`` should show.

The work is done by nh3 (the Python binding of Ammonia, a maintained allow-list sanitiser), never by our
own regular expressions. Everything not on the lists below goes: ``<script>`` and ``<style>`` with their
content, every ``on…`` handler, ``style`` and ``class`` attributes (the phone's stylesheet decides the
look), and links and images that are not plain http(s) — so no ``javascript:`` or ``data:`` URL survives.
Images uploaded here may also be written with their own path (``/media/news/…``); the API makes it absolute.
"""

from __future__ import annotations

import re

import nh3

TAGS = {"p", "br", "strong", "b", "em", "i", "u", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "img", "a"}
ATTRIBUTES = {"img": {"src", "alt", "width", "height"}, "a": {"href"}}
#: removed together with everything inside them
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "select"}
#: the path our own uploaded images are served under (server/newspaper/media.py)
MEDIA_PATH = "/media/news/"
_OWN_IMAGE = re.compile(r"^/media/news/[0-9a-f]{32}\.(jpg|png)$")
_DIMENSION = re.compile(r"^\d{1,4}$")
#: bodies longer than this are refused before cleaning (a very long paste is a mistake, not an article)
MAX_BODY_CHARS = 100_000


def _web_url(value: str) -> bool:
    return value.lower().startswith(("https://", "http://"))


def _keep(tag: str, attribute: str, value: str) -> str | None:
    """Per-attribute rules beyond the allow-list: http(s) links only, sizes in plain pixels."""
    if tag == "a" and attribute == "href":
        return value if _web_url(value) else None
    if tag == "img" and attribute == "src":
        return value if _web_url(value) or _OWN_IMAGE.match(value) else None
    if tag == "img" and attribute in ("width", "height"):
        return value if _DIMENSION.match(value) else None
    return value


def clean(html: str) -> str:
    """The body as it will be stored and shown."""
    cleaned = nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ATTRIBUTES,
        attribute_filter=_keep,
        url_schemes={"http", "https"},
        strip_comments=True,
        link_rel="noopener noreferrer",
    )
    return cleaned.strip()


def absolute_images(html: str, base_url: str) -> str:
    """Our own images' paths made absolute for the phone (``rich-text`` loads only full URLs)."""
    return html.replace(f'src="{MEDIA_PATH}', f'src="{base_url.rstrip("/")}{MEDIA_PATH}')
