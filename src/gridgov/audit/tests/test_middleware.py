"""Client addresses and request ids bound to each request for the audit trail."""

from __future__ import annotations

from django.test import RequestFactory, override_settings

from gridgov.audit.middleware import client_ip


def test_forwarded_for_is_ignored_from_an_untrusted_peer() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="10.1.1.1")
    assert client_ip(request) == "203.0.113.7"


@override_settings(GRIDGOV_TRUSTED_PROXIES=frozenset({"127.0.0.1"}))
def test_forwarded_for_is_read_from_a_trusted_proxy() -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1, 10.20.30.40"
    )
    # The last hop is the one our proxy added; earlier entries are the client's to forge.
    assert client_ip(request) == "10.20.30.40"


def test_every_response_names_its_request(client, db) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-ID"] == "abc123"
    generated = client.get("/healthz", HTTP_X_REQUEST_ID="not valid!")
    assert generated["X-Request-ID"] != "not valid!" and len(generated["X-Request-ID"]) == 32
