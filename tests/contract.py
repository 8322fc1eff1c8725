"""The API's answers held to its own OpenAPI document, for tests that pin one answer by hand."""

from __future__ import annotations

import schemathesis
from flask.testing import FlaskClient


def assert_documented(client: FlaskClient, method: str, path: str, response) -> None:
    """``response`` (to ``method`` ``path``, e.g. "GET", "/api/meetings/{meeting_id}") is one the document
    promises: a documented status code, content type and body."""
    document = client.get("/api/openapi.json").get_json()
    schemathesis.openapi.from_dict(document)[path][method].validate_response(response)
