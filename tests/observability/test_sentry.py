"""Sentry only when a DSN is configured; then an error reaches it with its request id and nothing personal.

The SDK patches Flask for the whole process once started, so the configured case runs in a process of
its own, reporting to a small HTTP receiver standing in for the Sentry server.
"""

from __future__ import annotations

import gzip
import http.server
import os
import subprocess
import sys
import threading
import zlib
from typing import ClassVar

from server.config import PROJECT_ROOT

REPORTER = """
import logging
from server import create_app
from server.observability import request_ids
import sentry_sdk

app = create_app()
with app.test_request_context("/admin/members/", headers={"Cookie": "session=secret-cookie"}):
    request_ids.current.set("feedc0de0123456789abcdef01234567")
    logging.getLogger("server.members").error("register export failed for-the-test")
sentry_sdk.flush(timeout=10)
"""


class _Receiver(http.server.BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        self.bodies.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_without_a_dsn_nothing_is_started(app):
    import sentry_sdk

    assert app.config["SENTRY_DSN"] is None and not sentry_sdk.get_client().is_active()


def test_with_a_dsn_an_error_reaches_sentry_with_its_request_id_and_no_cookie(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "REDIS_URL", "MP_CONFIG", "EDANGWU_TEST_WORKER")
        }
        env |= {"SENTRY_DSN": f"http://publickey@127.0.0.1:{server.server_port}/1", "INSTANCE_DIR": str(tmp_path)}
        done = subprocess.run(
            [sys.executable, "-c", REPORTER], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    finally:
        server.shutdown()
        server.server_close()
    sent = b"".join(_Receiver.bodies).decode()
    assert "register export failed for-the-test" in sent
    assert "feedc0de0123456789abcdef01234567" in sent
    assert "secret-cookie" not in sent
