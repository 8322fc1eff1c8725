"""Log lines as JSON objects (``LOG_FORMAT=json``, production: one line a record, for the journal and
any log shipper) or as text (the default, for a terminal), both with the request id of the request or
job that wrote them."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from server.observability import request_ids

_configured = False


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.request_id:  # type: ignore[attr-defined]
            line["request_id"] = record.request_id  # type: ignore[attr-defined]
        if record.job:  # type: ignore[attr-defined]
            line["job"] = record.job  # type: ignore[attr-defined]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(levelname)s:%(name)s:%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return f"{text} [request {record.request_id}]" if record.request_id else text  # type: ignore[attr-defined]


def _install_record_factory() -> None:
    """Every record, from any logger and any handler, carries the request id and job of its thread."""
    make = logging.getLogRecordFactory()

    def record_with_request_id(*args, **kwargs) -> logging.LogRecord:
        record = make(*args, **kwargs)
        record.request_id = request_ids.current.get()
        record.job = request_ids.current_job.get()
        return record

    logging.setLogRecordFactory(record_with_request_id)


def configure(level: str, style: str) -> None:
    """Once per process. Like ``logging.basicConfig``: handlers already on the root logger (a test
    runner's) are left alone."""
    global _configured
    if _configured:
        return
    _configured = True
    _install_record_factory()
    root = logging.getLogger()
    root.setLevel(level)
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter() if style == "json" else TextFormatter())
        root.addHandler(handler)
