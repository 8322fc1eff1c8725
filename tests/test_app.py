"""The application shell: health, the OpenAPI contract, the one error shape."""


def test_health_reports_database_reachable(client):
    assert client.get("/healthz").get_json() == {"ok": True}


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
