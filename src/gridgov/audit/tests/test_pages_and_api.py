"""The auditor's pages and the events endpoint: scope, filters, paging, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from gridgov.accounts import actions
from gridgov.audit.actions import record
from gridgov.audit.models import AuditEvent
from gridgov.conftest import PASSWORD


@pytest.fixture
def trail(worker, county_admin, other_admin, make_user):
    """Events in both counties and a login (which has no territory)."""
    neighbour = make_user("grid_worker", "411303001001", username="worker303")
    actions.update_user(worker.pk, actor=county_admin, display_name="王五")
    actions.update_user(neighbour.pk, actor=other_admin, display_name="赵六")
    with transaction.atomic():
        record("auth.login", actor=worker, obj=worker)
    return {
        "ours": AuditEvent.objects.get(action="user.update", grid_code__startswith="411302"),
        "theirs": AuditEvent.objects.get(action="user.update", grid_code__startswith="411303"),
        "login": AuditEvent.objects.get(action="auth.login"),
    }


def seqs(response) -> set[int]:
    return {e.seq for e in response.context["page"].items}


def test_event_list_matrix(client, trail, worker, county_admin, operator):
    assert client.get("/audit/").status_code == 302
    assert client.get("/api/v1/audit/events").status_code == 401
    client.force_login(worker)
    assert client.get("/audit/").status_code == 403
    assert client.get("/api/v1/audit/events").status_code == 403
    assert client.get(f"/audit/events/{trail['ours'].seq}/").status_code == 403
    client.force_login(county_admin)
    shown = seqs(client.get("/audit/"))
    assert trail["ours"].seq in shown
    assert trail["theirs"].seq not in shown
    assert trail["login"].seq not in shown  # scope-less events are for operators
    api = client.get("/api/v1/audit/events").json()
    assert {e["seq"] for e in api["items"]} == shown
    client.force_login(operator)
    assert {trail["ours"].seq, trail["theirs"].seq, trail["login"].seq} <= seqs(
        client.get("/audit/")
    )


def test_event_detail_scope(client, trail, county_admin, operator):
    client.force_login(county_admin)
    ours = client.get(f"/audit/events/{trail['ours'].seq}/")
    assert ours.status_code == 200
    html = ours.content.decode()
    assert "王五" in html and trail["ours"].hash in html
    assert client.get(f"/audit/events/{trail['theirs'].seq}/").status_code == 404
    assert client.get(f"/audit/events/{trail['login'].seq}/").status_code == 404
    assert client.get("/audit/events/999999/").status_code == 404
    client.force_login(operator)
    assert client.get(f"/audit/events/{trail['login'].seq}/").status_code == 200


def test_list_is_newest_first_and_shows_changes(client, trail, county_admin):
    client.force_login(county_admin)
    response = client.get("/audit/")
    items = response.context["page"].items
    assert [e.seq for e in items] == sorted((e.seq for e in items), reverse=True)
    html = response.content.decode()
    assert "张三" in html and "王五" in html  # old → new of the changed field


def test_filters(client, trail, operator, county_admin):
    client.force_login(operator)
    assert seqs(client.get("/audit/?actor=admin303")) == {trail["theirs"].seq}
    assert seqs(client.get("/audit/?action=auth.")) == {trail["login"].seq}
    assert trail["ours"].seq in seqs(client.get("/audit/?object=worker302"))
    assert seqs(client.get("/audit/?region=411303&action=user.update")) == {trail["theirs"].seq}
    today = timezone.localdate()
    assert trail["ours"].seq in seqs(client.get(f"/audit/?since={today}&until={today}"))
    tomorrow = today + timedelta(days=1)
    assert seqs(client.get(f"/audit/?since={tomorrow}")) == set()
    bad = client.get(f"/audit/?since={tomorrow}&until={today}")
    assert bad.context["filters"].errors["until"]
    api = client.get("/api/v1/audit/events", {"action": "user.update", "region": "411302"}).json()
    assert [e["seq"] for e in api["items"]] == [trail["ours"].seq]
    assert api["items"][0]["changes"] == {"display_name": ["张三", "王五"]}
    assert api["items"][0]["action_label"]


def test_paging_and_query_count(client, operator, django_assert_max_num_queries):
    with transaction.atomic():
        for n in range(60):
            record("test.event", actor=None, grid_code="411302001001001", changes={"n": n})
    client.force_login(operator)
    with django_assert_max_num_queries(8):
        first = client.get("/audit/")
    assert len(first.context["page"].items) == 50 and first.context["page"].pages == 2
    with django_assert_max_num_queries(8):
        second = client.get("/audit/?page=2")
    assert len(second.context["page"].items) == 10
    with django_assert_max_num_queries(8):
        api = client.get("/api/v1/audit/events?page_size=20&page=3").json()
    assert api["count"] == 60 and len(api["items"]) == 20 and api["pages"] == 3


def test_every_login_and_logout_is_audited_with_request_context(client, worker):
    client.post("/accounts/login/", {"username": "worker302", "password": "wrong"})
    client.post("/accounts/login/", {"username": "worker302", "password": PASSWORD})
    client.post("/accounts/logout/")
    events = list(AuditEvent.objects.order_by("seq").values_list("action", "channel", "ip"))
    assert [e[0] for e in events if e[0].startswith("auth.")] == [
        "auth.login_failed",
        "auth.login",
        "auth.logout",
    ]
    assert all(channel == "web" and ip == "127.0.0.1" for _, channel, ip in events[-3:])
    assert all(
        AuditEvent.objects.filter(action__startswith="auth.").values_list("request_id", flat=True)
    )


@pytest.mark.parametrize(("language", "label"), [("zh-hans", "审计记录"), ("en", "Audit trail")])
def test_audit_page_in_both_languages(client, operator, language, label):
    client.force_login(operator)
    assert label in client.get("/audit/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
