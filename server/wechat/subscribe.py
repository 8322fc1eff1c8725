"""Filling subscribe-message templates within WeChat's field limits, from a deployment's mp_config."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import current_app

# WeChat refuses a whole message (47003) when one field is too long; we shorten rather than lose it.
_LIMITS = {"thing": 20, "phrase": 5, "character_string": 32, "name": 10, "letter": 32, "symbol": 5}


def fit(keyword: str, value: Any) -> str:
    """A value shaped for a template keyword such as ``thing1`` or ``time2``."""
    kind = re.sub(r"\d+$", "", keyword)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = str(value)
    limit = _LIMITS.get(kind)
    if limit and len(text) > limit:
        return text[: limit - 1] + "…" if kind == "thing" else text[:limit]
    return text


def template(purpose: str) -> dict[str, Any] | None:
    """The deployment's template for a purpose ("meeting_reminder", …), or None if it has none."""
    return current_app.extensions["mp_config"]["subscribe_templates"].get(purpose)


def message_data(tpl: dict[str, Any], values: dict[str, Any]) -> dict[str, str]:
    """Template keyword → text, taking each keyword's field from ``values``."""
    return {keyword: fit(keyword, values.get(field, "")) for keyword, field in tpl["fields_"].items()}
