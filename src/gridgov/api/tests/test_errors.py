"""The one error shape of the API, in the language of the request."""

from __future__ import annotations

import os
import stat

import pytest
from django.test import Client

from gridgov import conf


@pytest.fixture
def staff_client(territory, make_user) -> Client:
    client = Client()
    client.force_login(make_user("township_staff", "411302001"))
    return client


def test_outside_the_scope_is_not_found_in_chinese_by_default(staff_client) -> None:
    response = staff_client.get("/api/v1/territory/regions/411302002")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "未找到。", "details": {}}
    english = staff_client.get(
        "/api/v1/territory/regions/411302002", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert english["message"] == "Not found."


def test_anonymous_is_told_to_log_in(db) -> None:
    response = Client().get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert "API token" in response.json()["message"]


def test_validation_errors_name_the_field_as_the_client_sent_it(territory, make_user) -> None:
    client = Client()
    client.force_login(make_user("admin", "411302"))
    response = client.post("/api/v1/users", {"username": "x"}, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert "role" in body["details"]["fields"]
    assert not any(name.startswith(("body", "payload")) for name in body["details"]["fields"])
    query = client.get("/api/v1/territory/locate?lon=abc&lat=33")
    assert query.status_code == 422
    assert "lon" in query.json()["details"]["fields"]


def test_a_session_post_without_csrf_token_is_refused_in_the_error_shape(
    territory, make_user
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("admin", "411302"))
    response = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


def test_a_body_over_the_limit_is_refused_in_the_error_shape(
    territory, make_user, settings
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = Client()
    client.force_login(make_user("admin", "411302"))
    body = {"type": "FeatureCollection", "features": [], "padding": "x" * 5000}
    response = client.post("/api/v1/territory/import", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_a_new_home_folder_is_private(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GRIDGOV_HOME", str(tmp_path / "home"))
    path = conf.home()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
