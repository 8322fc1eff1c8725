"""A request id in every answer and in the log lines of the request and of the jobs it queued."""

from __future__ import annotations

import json
import logging
import re

from server.observability.logs import JsonFormatter
from server.tasks import huey, run_pending_jobs
from tests.members.test_import_export import TEMPLATE, fill, import_id, person, upload
from tests.members.test_import_export import secretary as secretary  # a fixture

OFFERED = "nginx-0123456789abcdef"


def test_every_answer_carries_a_fresh_request_id(client):
    first, second = client.get("/livez"), client.get("/api/nothing-here")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and ids[0] != ids[1]


def test_the_id_from_nginx_is_taken_only_behind_a_trusted_proxy(app, client, monkeypatch):
    assert client.get("/livez", headers={"X-Request-ID": OFFERED}).headers["X-Request-ID"] != OFFERED
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    assert client.get("/livez", headers={"X-Request-ID": OFFERED}).headers["X-Request-ID"] == OFFERED
    forged = client.get("/livez", headers={"X-Request-ID": '" injected="1 {json}'})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-ID"])


def test_the_import_job_a_request_queued_logs_under_that_requests_id(secretary, caplog):
    template = secretary.get(TEMPLATE).data
    response = upload(secretary, fill(template, [person("赵六")]))
    import_id(response)
    request_id = response.headers["X-Request-ID"]
    (queued,) = huey.pending()
    assert queued.kwargs == {"_request_id": request_id}

    with caplog.at_level(logging.INFO, logger="server.tasks"):
        assert run_pending_jobs() == 1

    (done,) = [r for r in caplog.records if r.getMessage().startswith("job members.tasks.run_member_import done")]
    line = json.loads(JsonFormatter().format(done))
    assert line["request_id"] == request_id and line["job"] == "members.tasks.run_member_import"
    assert line["level"] == "INFO" and line["logger"] == "server.tasks"


def test_a_job_queued_outside_a_request_carries_no_id(app):
    from server.members.tasks import run_member_import

    run_member_import(987654)  # as the periodic sweep queues it again: no request behind it
    (queued,) = huey.pending()
    assert queued.kwargs == {}
