"""What every response tells the browser: run only our own script files, never be framed, never guess a
content type, never leak an address (with its invite code) to another site; and cookies that only
travel over HTTPS whenever the admin came over HTTPS."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import pytest
from flask import Flask

from server import create_app
from server.config import PROJECT_ROOT
from tests.conftest import PASSWORD, csrf_token


def _policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {words[0]: words[1:] for words in directives}


def assert_hardened(response) -> None:
    policy = _policy(response)
    assert policy.get("script-src") == ["'self'"], policy  # no 'unsafe-inline', no 'unsafe-eval', no host
    assert policy.get("style-src") == ["'self'"], policy
    assert policy.get("default-src") == ["'self'"]
    assert policy.get("object-src") == ["'none'"]
    assert policy.get("base-uri") == ["'self'"]
    assert policy.get("frame-ancestors") == ["'none'"]
    assert policy.get("form-action") == ["'self'"]
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "same-origin"


@pytest.fixture
def secretary(browser, tree, make_admin):
    make_admin("shuji", org=tree["a1"])
    return browser("shuji")


def test_admin_page_is_hardened(secretary):
    response = secretary.get("/admin/members/")
    assert response.status_code == 200
    assert_hardened(response)


def test_login_page_and_redirect_to_it_are_hardened(client):
    assert_hardened(client.get("/admin/login"))
    redirect = client.get("/admin/")
    assert redirect.status_code == 302
    assert_hardened(redirect)


def test_htmx_fragment_is_hardened(secretary):
    response = secretary.get("/admin/members/?q=x", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert_hardened(response)


def test_api_answer_and_api_error_are_hardened(client):
    contract = client.get("/api/openapi.json")
    assert contract.status_code == 200
    assert_hardened(contract)
    refused = client.get("/api/me")
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"]
    assert_hardened(refused)


def test_error_pages_are_hardened(client, secretary):
    assert_hardened(client.get("/nothing-here"))
    missing = secretary.get("/admin/members/999999")
    assert missing.status_code == 404
    assert_hardened(missing)


@pytest.mark.parametrize("path", ["/static/app/admin.css", "/static/app/admin.js", "/static/vendor/htmx.js"])
def test_static_files_are_hardened(client, path):
    response = client.get(path)
    try:
        assert response.status_code == 200
        assert_hardened(response)
    finally:
        response.close()  # the file stays open until then


def test_a_crash_is_hardened(app):
    other = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False})

    def crash():
        raise RuntimeError("boom")

    other.add_url_rule("/_crash", "crash", crash)
    response = other.test_client().get("/_crash")
    assert response.status_code == 500
    assert_hardened(response)


# --- cookies -------------------------------------------------------------------------------------


def _session_cookie(response) -> SimpleCookie:
    cookies = [value for name, value in response.headers if name == "Set-Cookie"]
    assert cookies, "no cookie was set"
    jar = SimpleCookie()
    jar.load(cookies[0])
    return jar


def _is_secure(response) -> bool:
    return all(morsel["secure"] for morsel in _session_cookie(response).values())


def test_plain_http_cookie_is_not_secure_and_login_works(client, make_admin, tree):
    """The embedded default on http://127.0.0.1:5000 must keep working: a Secure cookie would never come back."""
    make_admin("shuji", org=tree["a1"])
    page = client.get("/admin/login")
    assert not _is_secure(page)
    response = client.post(
        "/admin/login", data={"username": "shuji", "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302
    assert client.get("/admin/members/").status_code == 200


def test_https_cookie_is_secure_and_login_works(client, make_admin, tree):
    make_admin("shuji", org=tree["a1"])
    https = {"base_url": "https://localhost"}
    page = client.get("/admin/login", **https)
    assert _is_secure(page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    # Over HTTPS the CSRF check wants a same-site Referer: Referrer-Policy same-origin still sends it here.
    response = client.post(
        "/admin/login",
        data={"username": "shuji", "password": PASSWORD, "csrf_token": token},
        headers={"Referer": "https://localhost/admin/login"},
        **https,
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _is_secure(response)
    assert client.get("/admin/members/", **https).status_code == 200


@pytest.mark.parametrize(("proxies", "secure"), [(1, True), (0, False)])
def test_https_at_the_proxy_makes_the_cookie_secure_only_if_the_proxy_is_trusted(app: Flask, proxies, secure):
    other = create_app({"TESTING": True, "TRUSTED_PROXIES": proxies})
    response = other.test_client().get("/admin/login", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert _is_secure(response) is secure


# --- templates -----------------------------------------------------------------------------------

# Anything the policy would block, or that would run text in a page as code.
FORBIDDEN = {
    "inline event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL),
    "inline script": re.compile(r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "inline style": re.compile(r"<style|\sstyle\s*=", re.IGNORECASE),
}


def test_templates_have_no_inline_code_or_style():
    templates = sorted((PROJECT_ROOT / "server").rglob("*.html"))
    assert templates
    found = [
        f"{path.relative_to(PROJECT_ROOT)}: {what}"
        for path in templates
        for what, pattern in FORBIDDEN.items()
        if pattern.search(path.read_text())
    ]
    assert found == []
