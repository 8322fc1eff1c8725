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


def page_number() -> int:
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1
