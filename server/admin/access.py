"""Guards and helpers shared by the admin views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, redirect, request, url_for
from marshmallow import Schema, ValidationError

from server.errors import PermissionDenied
from server.http import translate


def admin_required(view: Callable) -> Callable:
    """Admin pages need a logged-in account; anonymous visitors go to the login page."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("admin") is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper


def writer_required(view: Callable) -> Callable:
    """Pages that change data need a role that may write."""

    @functools.wraps(view)
    @admin_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not g.admin.role.can_write:
            raise PermissionDenied("您的角色只能查看，不能修改")
        return view(*args, **kwargs)

    return wrapper


def load_form(schema: Schema, form, partial: bool = False) -> tuple[dict | None, dict]:
    """Validate an HTML form with a marshmallow schema: (data, {}) or (None, Chinese errors per field)."""
    raw: dict[str, Any] = {}
    for key, value in form.items():
        field = schema.fields.get(key)
        if field is None:
            continue  # the CSRF token and buttons
        if value.strip() == "":
            if field.required or not field.allow_none:
                continue  # let "required" or the default apply
            value = None
        raw[key] = value
    try:
        return schema.load(raw, partial=partial), {}
    except ValidationError as exc:
        return None, translate(exc.messages)  # type: ignore[return-value]


#: years a secretary may ask a report or calendar for; anything else is a mangled link
YEARS = range(2000, 2101)
#: database ids are 32-bit; a larger number names nothing and must not reach the query
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


def bounded_int(value: str | None, allowed: range) -> int | None:
    """``value`` as an int inside ``allowed``, or None: a query string is never trusted to be sane."""
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number in allowed else None


def page_number() -> int:
    return bounded_int(request.args.get("page"), range(1, MAX_PAGE + 1)) or 1


def id_arg(name: str) -> int | None:
    """An id from the query string (a filter), or None when absent or impossible."""
    return bounded_int(request.args.get(name), range(1, MAX_ID + 1))
