"""Liveness, readiness and the load balancer's health check: what each says, and that none says more."""

from __future__ import annotations

from tests.conftest import USING_REDIS


def test_liveness_needs_nothing_but_the_process(client):
    response = client.get("/livez")
    assert (response.status_code, response.get_json()) == (200, {"ok": True})


def test_readiness_checks_the_database_and_redis_when_there_is_one(client):
    response = client.get("/readyz")
    checks = {"database": "ok", "redis": "ok"} if USING_REDIS else {"database": "ok"}
    assert (response.status_code, response.get_json()) == (200, {"ok": True, "checks": checks})


def test_readiness_is_503_while_redis_cannot_be_reached_and_names_only_what_is_down(client, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://:hunter2@127.0.0.1:1/0")  # nothing listens on port 1
    monkeypatch.setenv("REDIS_TIMEOUT", "0.5")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"ok": False, "checks": {"database": "ok", "redis": "down"}}
    assert "127.0.0.1" not in response.get_data(as_text=True) and "hunter2" not in response.get_data(as_text=True)


def test_the_health_check_keeps_its_answer(client):
    assert client.get("/healthz").get_json() == {"ok": True, "checks": {"database": "ok", "jobs": "ok"}}
