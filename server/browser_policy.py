"""What every response tells the browser: run only our own script files, never be framed, never guess a
content type, never send our addresses (with their invite codes) to another site, and keep the session
cookie to HTTPS whenever the admin came over HTTPS.

A WSGI middleware rather than Flask's ``after_request``: Flask saves the session, and so sets its cookie,
after those hooks have run, and another hook may replace the response (the 409 of a failed commit); the
middleware sees the final headers of every response, pages, API, errors and static files alike.
flask-talisman would cover the headers, but it is barely maintained and marks cookies Secure from static
configuration only, which either breaks plain-HTTP local use or leaves HTTPS cookies unmarked; the
policy below is a few lines anyone can read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        # Our own files only: no inline script or handler, no eval. htmx's eval-based features (hx-on,
        # js: values, trigger filters) are switched off in admin.js; ECharts needs no eval.
        "script-src 'self'",
        # No inline styles either: templates use classes from admin.css/live.css, and scripts style
        # elements through the CSSOM (element.style), which the policy allows. ECharts draws SVG that way
        # and its tooltips are asked to render as SVG text, not HTML with style attributes.
        "style-src 'self'",
        "img-src 'self' data:",  # the live check-in QR code is a data: PNG; Pico's form icons are data: SVGs
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

SECURITY_HEADERS = [
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),  # frame-ancestors for older browsers
    ("X-Content-Type-Options", "nosniff"),
    # Not no-referrer: over HTTPS, Flask-WTF's CSRF check wants our own pages' Referer on each form post.
    # Other sites get nothing, so an address with an invite code in it never leaves us.
    ("Referrer-Policy", "same-origin"),
]

StartResponse = Callable[..., Any]


def _secure(cookie: str) -> str:
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    return cookie if "secure" in attributes else f"{cookie}; Secure"


class BrowserPolicy:
    """Adds the security headers to every response and ``Secure`` to every cookie sent over HTTPS.

    Wrap the app *inside* ProxyFix, so that ``wsgi.url_scheme`` already says whether a trusted proxy
    received the request over HTTPS. Plain HTTP (the embedded default on http://127.0.0.1:5000) keeps
    plain cookies, or the browser would never send them back. ``SESSION_COOKIE_SECURE=1`` still forces
    the flag everywhere.
    """

    def __init__(self, wsgi_app: Callable[[dict, StartResponse], Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        over_https = environ.get("wsgi.url_scheme") == "https"

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if over_https:
                headers = [(name, _secure(value) if name.lower() == "set-cookie" else value) for name, value in headers]
            present = {name.lower() for name, _ in headers}
            headers += [(name, value) for name, value in SECURITY_HEADERS if name.lower() not in present]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)
