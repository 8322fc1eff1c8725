"""Every admin page without path parameters, asked with absurd query strings as an attacker or a mangled
bookmark would: the page answers (with its defaults), never a 500."""

from __future__ import annotations

from server.auth.models import Role

HUGE = "9" * 30
ABSURD = {
    "page": [HUGE, "-5", "0", "abc"],
    "org_id": [HUGE, "-1", "abc"],
    "year": [HUGE, "-2026", "0", "abc"],
    "month": [f"{HUGE}-1", "2026-13", "2026-0", "9999-12", "x"],
    "quarter": [f"{HUGE}-1", "2026-5", "0-1", "-"],
    "q": ["%", "_" * 500, "' OR 1=1 --"],
    "sort": ["name; drop", HUGE],
    "status": [HUGE],
    "dues_category": [HUGE],
}


def _parameterless_admin_pages(app) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/admin/")
        and "GET" in rule.methods
        and not rule.arguments
        and rule.endpoint != "auth.logout"
    )


#: asked alone: an organisation outside the caller's reach answers 404 before the page reads anything else
ALONE = "org_id"


def _query_strings() -> list[dict[str, str]]:
    """Every absurd value of every parameter, in as few requests as a page can answer them in.

    A page reads each parameter on its own, falling back to its default, so one request carries one absurd
    value of each (round i takes each parameter's i-th value, wrapping round); the organisation is asked
    alone, as an absurd one may end the request before the other parameters are read.
    """
    together = [name for name in ABSURD if name != ALONE]
    rounds = max(len(ABSURD[name]) for name in together)
    combined = [{name: ABSURD[name][i % len(ABSURD[name])] for name in together} for i in range(rounds)]
    return combined + [{ALONE: value} for value in ABSURD[ALONE]]


def test_absurd_query_strings_never_break_an_admin_page(app, tree, make_admin, browser):
    make_admin("root", Role.SUPERADMIN)
    admin = browser("root")
    failures = []
    for path in _parameterless_admin_pages(app):
        for query in _query_strings():
            if (status := admin.get(path, query_string=query).status_code) >= 500:
                failures.append(_shown(path, query, status))
            elif status >= 400:  # one value refused may hide another's error: each alone, then
                for name, value in query.items():
                    if (alone := admin.get(path, query_string={name: value}).status_code) >= 500:
                        failures.append(_shown(path, {name: value}, alone))
    assert not failures, "\n".join(failures)


def _shown(path: str, query: dict[str, str], status: int) -> str:
    return f"{path}?{'&'.join(f'{name}={value[:20]}' for name, value in query.items())} → {status}"


def test_every_absurd_value_is_asked():
    asked = {(name, value) for query in _query_strings() for name, value in query.items()}
    assert asked == {(name, value) for name, values in ABSURD.items() for value in values}
