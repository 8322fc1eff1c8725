"""Subscribe-message field checks, by key prefix, as WeChat documents them.

A template's keys look like ``thing1``, ``time2``, ``character_string3``: the prefix before the
digits is the field type, and each type has its own length and charset rule. WeChat rejects a
message whose value breaks the rule with errcode 47003, naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

_KEY = re.compile(r"^([a-z_]+?)(\d+)$")
_CHINESE = re.compile(r"^[\u3400-\u9fff]+$")
_ASCII_VISIBLE = re.compile(r"^[\x21-\x7e]+$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_AMOUNT = re.compile(r"^[¥￥]?\d+(\.\d{1,2})?元?$")
_LETTER = re.compile(r"^[A-Za-z]+$")
_SYMBOL = re.compile(r"^[^\w\s]+$")
_PHONE = re.compile(r"^[\d+\-() ]+$")
_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%H:%M:%S",
    "%H:%M",
)


def _is_time(value: str) -> bool:
    # WeChat also accepts a range such as "2024-07-01 09:00 ~ 2024-07-01 11:00".
    parts = [p.strip() for p in value.split("~")]
    return len(parts) <= 2 and all(_parses(p) for p in parts)


def _parses(value: str) -> bool:
    for fmt in _TIME_FORMATS:
        try:
            datetime.strptime(value, fmt)
        except ValueError:
            continue
        return True
    return False


def _is_name(value: str) -> bool:
    # 10 Chinese characters, or 20 letters/symbols for a latin-script name.
    if _CHINESE.match(value):
        return len(value) <= 10
    return len(value) <= 20 and not re.search(r"[\u3400-\u9fff]", value)


def _digits(value: str) -> int:
    return sum(c.isdigit() for c in value)


RULES: dict[str, Callable[[str], bool]] = {
    "thing": lambda v: len(v) <= 20,
    "phrase": lambda v: len(v) <= 5 and bool(_CHINESE.match(v)),
    "character_string": lambda v: len(v) <= 32 and bool(_ASCII_VISIBLE.match(v)),
    "number": lambda v: _digits(v) <= 32 and bool(_NUMBER.match(v)),
    "letter": lambda v: len(v) <= 32 and bool(_LETTER.match(v)),
    "symbol": lambda v: len(v) <= 5 and bool(_SYMBOL.match(v)),
    "time": _is_time,
    "date": _is_time,
    "amount": lambda v: _digits(v) <= 32 and bool(_AMOUNT.match(v)),
    "name": _is_name,
    "phone_number": lambda v: len(v) <= 17 and bool(_PHONE.match(v)),
    "car_number": lambda v: len(v) <= 8,
}


def field_type(key: str) -> str:
    match = _KEY.match(key)
    return match.group(1) if match else key


def check_value(key: str, value: str) -> bool:
    # An unknown prefix is held to the most common rule rather than accepted blindly.
    rule = RULES.get(field_type(key), RULES["thing"])
    return bool(value) and rule(value)


def validate_data(keys: list[str], data: Any) -> str | None:
    """None when ``data`` fits the template, else WeChat's description of the first problem."""
    if not isinstance(data, dict):
        return "data invalid"
    for key in keys:
        entry = data.get(key)
        value = entry.get("value") if isinstance(entry, dict) else None
        if value is None or value == "":
            return f"data.{key}.value is empty"
        if not isinstance(value, str) or not check_value(key, value):
            return f"data.{key}.value invalid"
    extra = sorted(set(data) - set(keys))
    if extra:
        return f"data.{extra[0]} is not a field of this template"
    return None
