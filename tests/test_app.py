"""The application shell: health, the OpenAPI contract, the one error shape."""

import pytest


def test_health_reports_database_reachable(client):
    assert client.get("/healthz").get_json() == {"ok": True, "checks": {"database": "ok", "jobs": "ok"}}


def test_openapi_contract_lists_the_mini_program_endpoints(client):
    spec = client.get("/api/openapi.json").get_json()
    assert {"/api/auth/login", "/api/auth/bind/phone", "/api/auth/bind/invite", "/api/me"} <= set(spec["paths"])
    assert "bearer" in spec["components"]["securitySchemes"]


def test_unknown_api_path_has_the_error_shape(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert response.get_json()["error"]["message"]


def test_admin_pages_need_login(client):
    response = client.get("/admin/members/")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


@pytest.mark.parametrize(("proxies", "expected"), [(1, "203.0.113.9"), (0, "127.0.0.1")])
def test_forwarded_address_is_trusted_only_behind_a_configured_proxy(app, proxies, expected):
    from flask import request

    from server import create_app

    other = create_app({"TESTING": True, "TRUSTED_PROXIES": proxies})
    other.add_url_rule("/_address", "address", lambda: {"ip": request.remote_addr})
    response = other.test_client().get("/_address", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.get_json()["ip"] == expected


def test_every_api_operation_documents_the_errors_it_may_answer_in_the_one_shape(client):
    spec = client.get("/api/openapi.json").get_json()
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert spec["components"]["schemas"]["ErrorDetail"]["required"] == ["code", "message"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert {"400", "401", "403", "404", "409", "429"} <= set(responses), (method, path)
            assert "default" not in responses, (method, path)  # a status nobody declared is a contract break
    login = spec["paths"]["/api/auth/login"]["post"]["responses"]
    assert {"502", "503"} <= set(login)  # WeChat answering with an error, or not at all
