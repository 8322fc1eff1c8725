"""Personal data: ID-card numbers and phone numbers are shown masked unless someone needs them whole."""

from __future__ import annotations

import re

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
ID_CARD_RE = re.compile(r"^\d{17}[\dX]$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def mask_id_card(value: str) -> str:
    """110101199003071234 → 110101********1234."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678."""
    return value[:3] + "****" + value[-4:] if len(value) >= 7 else "*" * len(value)


def id_card_is_valid(value: str) -> bool:
    """GB 11643 check digit of an 18-digit resident ID number."""
    if not ID_CARD_RE.match(value):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]


def normalise_id_card(value: str) -> str:
    return value.strip().upper()
