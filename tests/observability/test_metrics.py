"""``/metrics``: what moved after a member's check-in and a job, and who may read it."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.meetings import codes
from server.tasks import run_pending_jobs
from tests.meetings.conftest import bearer
from tests.meetings.conftest import make_meeting as make_meeting  # a fixture
from tests.meetings.conftest import token_for as token_for  # a fixture


def scrape(client, **kw) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **kw)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_check_in_and_a_job_move_their_counters(client, tree, make_member, make_meeting, token_for):
    from server.members.tasks import run_member_import

    member = make_member(tree["a1"], "张三")
    meeting = make_meeting()
    before = scrape(client)

    scanned = client.post(
        f"/api/meetings/{meeting.id}/checkin",
        json={"code": codes.meeting_code(meeting)},
        headers=bearer(token_for(member)),
    )
    assert scanned.status_code == 200
    run_member_import(987654)  # an import whose record is gone: the job finds nothing to do
    queued = scrape(client)
    assert run_pending_jobs() == 1
    after = scrape(client)

    endpoint = {"endpoint": "meetings_api.check_in"}
    checkin_requests = {**endpoint, "method": "POST", "status": "200"}
    assert value(after, "edangwu_http_requests_total", **checkin_requests) == (
        value(before, "edangwu_http_requests_total", **checkin_requests) + 1
    )
    assert value(after, "edangwu_http_request_duration_seconds_count", **endpoint) > value(
        before, "edangwu_http_request_duration_seconds_count", **endpoint
    )
    checked_in = {"method": "meeting_code", "result": "checked_in"}
    assert (
        value(after, "edangwu_checkins_total", **checked_in)
        == value(before, "edangwu_checkins_total", **checked_in) + 1
    )
    job = {"job": "members.tasks.run_member_import", "outcome": "complete"}
    assert value(after, "edangwu_jobs_total", **job) == value(before, "edangwu_jobs_total", **job) + 1
    assert (value(queued, "edangwu_job_queue_depth"), value(after, "edangwu_job_queue_depth")) == (1, 0)


def test_paths_are_counted_by_endpoint_never_by_the_raw_path(client):
    for n in range(3):
        client.get(f"/no/such/page/{n}")
    names = {labels for name, labels in scrape(client) if name == "edangwu_http_requests_total"}
    assert not any("/no/such" in str(labels) for labels in names)
    assert any(("endpoint", "unmatched") in labels for labels in names)


@pytest.mark.parametrize(
    "request_from",
    [
        {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}},  # another machine
        {"headers": {"X-Forwarded-For": "203.0.113.9"}},  # relayed by nginx on this machine
        {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}, "headers": {"Authorization": "Bearer wrong"}},
    ],
)
def test_metrics_are_not_public(client, request_from):
    response = client.get("/metrics", **request_from)
    assert response.status_code == 404 and b"edangwu_" not in response.data


def test_a_scraper_elsewhere_presents_the_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "a-long-random-scrape-token")
    samples = scrape(
        client,
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
        headers={"Authorization": "Bearer a-long-random-scrape-token", "X-Forwarded-For": "203.0.113.9"},
    )
    assert any(name == "edangwu_http_requests_total" for name, _ in samples)


def test_an_allowed_network_may_scrape_without_a_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_ALLOW_IPS", "127.0.0.1, 10.0.0.0/24")
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 200
