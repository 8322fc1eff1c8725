"""Marshmallow fields the domains' input schemas share."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

#: The largest value an integer column holds (PostgreSQL ``integer``). No row has a larger id, and a
#: larger number sent to the database fails there (out of range, or an overflow on SQLite).
MAX_RECORD_ID = 2**31 - 1


class RecordId(fields.Integer):
    """The id of a row, as the client sends it: 1 up to ``MAX_RECORD_ID``, else refused as no such record."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(min=1, max=MAX_RECORD_ID, error="没有这个编号的记录"), **kwargs)
