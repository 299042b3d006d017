"""The inbox pages and endpoints: each user reads only their own messages (anyone else's
is a 404 and stays unread), filters, paging, opening follows the link only inside the
product, marking all read touches only mine, and the unread count in every page's header.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from gridgov.accounts.models import User
from gridgov.inbox import actions
from gridgov.inbox.models import Message, MessageKind


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def alice(territory: Any, make_user: Callable[..., User]) -> User:
    return make_user("grid_worker", "411302001001", username="alice")


@pytest.fixture
def bob(territory: Any, make_user: Callable[..., User]) -> User:
    return make_user("command", "4113", username="bob")


def deliver(user: User, subject: str, **fields: Any) -> Message:
    actions.deliver([user], subject=subject, **fields)
    return Message.objects.filter(recipient=user, subject=subject).get()


def client_for(user: User | None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def read_states() -> list[tuple[int, Any]]:
    return list(Message.objects.order_by("pk").values_list("pk", "read_at"))


# --- nobody reads another's messages ------------------------------------------------------


def test_anonymous_is_sent_to_log_in(db: Any) -> None:
    client = client_for(None)
    assert client.get("/inbox/")["Location"].startswith("/accounts/login/")
    assert client.get("/inbox/1/")["Location"].startswith("/accounts/login/")
    assert client.post("/inbox/read-all/")["Location"].startswith("/accounts/login/")
    for url in ("/api/v1/inbox", "/api/v1/inbox/unread-count"):
        assert client.get(url).status_code == 401
    assert client.post("/api/v1/inbox/1/read").status_code == 401
    assert client.post("/api/v1/inbox/read-all").status_code == 401


def test_nobody_reads_another_users_messages(alice: User, bob: User) -> None:
    secret = deliver(alice, "Case 1 waits for you", link="/cases/1/")
    before = read_states()
    bob_client = client_for(bob)
    assert bob_client.get(f"/inbox/{secret.pk}/").status_code == 404
    assert bob_client.get(f"/inbox/{secret.pk}/?stay=1").status_code == 404
    response = bob_client.post(f"/api/v1/inbox/{secret.pk}/read")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    # The same answer as for a message that does not exist at all.
    assert bob_client.get("/inbox/999999/").status_code == 404
    assert bob_client.post("/api/v1/inbox/999999/read").status_code == 404
    # Bob's lists and counts know nothing of it; marking all read leaves it alone.
    assert "Case 1 waits" not in bob_client.get("/inbox/?show=all").content.decode()
    assert bob_client.get("/api/v1/inbox").json()["count"] == 0
    assert bob_client.get("/api/v1/inbox/unread-count").json() == {"unread": 0}
    assert bob_client.post("/api/v1/inbox/read-all").json() == {"marked": 0}
    assert bob_client.post("/inbox/read-all/").status_code == 302
    assert read_states() == before


# --- the pages ----------------------------------------------------------------------------


def test_the_list_filters_unread_all_and_kind(alice: User) -> None:
    deliver(alice, "A task", kind=MessageKind.TASK)
    deliver(alice, "An alert", kind=MessageKind.ALERT)
    old = deliver(alice, "An old notice", kind=MessageKind.NOTICE)
    old.read_at = timezone.now()
    old.save()
    client = client_for(alice)
    unread = client.get("/inbox/").content.decode()
    assert "A task" in unread and "An alert" in unread and "An old notice" not in unread
    everything = client.get("/inbox/?show=all").content.decode()
    assert "An old notice" in everything
    alerts = client.get("/inbox/?show=all&kind=alert").content.decode()
    assert "An alert" in alerts and "A task" not in alerts
    # A value nobody offers is ignored, not an error page.
    assert client.get("/inbox/?show=maybe&kind=spam").status_code == 200


def test_the_list_is_paged_at_a_fixed_cost(alice: User, django_assert_max_num_queries: Any) -> None:
    for n in range(45):
        deliver(alice, f"Message {n:02d}")
    client = client_for(alice)
    client.get("/inbox/")
    # Session, user, roles (menu), the menu's unread count, the list's count and rows,
    # the session's refresh (3).
    with django_assert_max_num_queries(9):
        first = client.get("/inbox/")
    assert first.context["page"].count == 45 and len(first.context["page"].items) == 30
    second = client.get("/inbox/?page=2").content.decode()
    assert "Message 00" in second and "Message 44" not in second


def test_opening_a_message_marks_it_read_and_follows_its_link(alice: User) -> None:
    message = deliver(alice, "Case 7 waits for you", link="/cases/7/")
    response = client_for(alice).get(f"/inbox/{message.pk}/")
    assert response.status_code == 302 and response["Location"] == "/cases/7/"
    message.refresh_from_db()
    first_read = message.read_at
    assert first_read is not None
    # Opening it again keeps the first receipt; ?stay shows the message itself.
    page = client_for(alice).get(f"/inbox/{message.pk}/?stay=1")
    assert page.status_code == 200 and "Case 7 waits for you" in page.content.decode()
    message.refresh_from_db()
    assert message.read_at == first_read


@pytest.mark.parametrize("link", ["https://example.com/", "//example.com/x", "/\\example.com", ""])
def test_a_link_outside_the_product_is_not_followed(alice: User, link: str) -> None:
    message = deliver(alice, "Look here", body="Details of the notice.", link=link)
    response = client_for(alice).get(f"/inbox/{message.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Details of the notice." in text and "example.com" not in text


def test_mark_all_read_touches_only_mine(alice: User, bob: User) -> None:
    deliver(alice, "One")
    deliver(alice, "Two")
    bobs = deliver(bob, "For Bob")
    response = client_for(alice).post("/inbox/read-all/")
    assert response.status_code == 302
    assert not Message.objects.filter(recipient=alice, read_at__isnull=True).exists()
    bobs.refresh_from_db()
    assert bobs.read_at is None
    assert client_for(alice).get("/inbox/read-all/").status_code == 405


# --- the header ---------------------------------------------------------------------------


def test_every_page_shows_my_unread_count_in_the_header(
    alice: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(3):
        deliver(alice, f"Task {n}")
    client = client_for(alice)
    home = client.get("/").content.decode()
    assert '<span class="gg-nav__badge" aria-hidden="true">3</span>' in home
    assert "(3 unread)" in home
    assert '<span class="gg-menu-toggle__badge" aria-hidden="true">3</span>' in home
    territory = client.get("/territory/", follow=True).content.decode()
    assert "(3 unread)" in territory
    client.post("/inbox/read-all/")
    home = client.get("/").content.decode()
    assert "gg-nav__badge" not in home and "gg-menu-toggle__badge" not in home
    assert 'href="/inbox/"' in home  # the entry stays, without a count


def test_the_count_costs_one_query_per_page(alice: User) -> None:
    """The home page lists the menu twice (bar and cards); the count is asked once."""
    deliver(alice, "Task")
    client = client_for(alice)
    client.get("/")
    with CaptureQueriesContext(connection) as counted:
        client.get("/")
    asked = [q["sql"] for q in counted.captured_queries if "inbox_message" in q["sql"]]
    assert len(asked) == 1


# --- the API ------------------------------------------------------------------------------


def test_api_list_count_and_marking(alice: User) -> None:
    task = deliver(alice, "A task", kind=MessageKind.TASK, link="/cases/3/", grid_code="1" * 15)
    deliver(alice, "An alert", kind=MessageKind.ALERT)
    client = client_for(alice)
    listing = client.get("/api/v1/inbox?page_size=1").json()
    assert listing["count"] == 2 and listing["pages"] == 2 and len(listing["items"]) == 1
    alerts = client.get("/api/v1/inbox?kind=alert").json()
    assert [m["subject"] for m in alerts["items"]] == ["An alert"]
    assert client.get("/api/v1/inbox?kind=spam").status_code == 422
    assert client.get("/api/v1/inbox/unread-count").json() == {"unread": 2}
    read = client.post(f"/api/v1/inbox/{task.pk}/read").json()
    assert read["read_at"] is not None and read["link"] == "/cases/3/"
    assert read["url"] == f"/inbox/{task.pk}/"
    assert client.get("/api/v1/inbox?unread=true").json()["count"] == 1
    assert client.post("/api/v1/inbox/read-all").json() == {"marked": 1}
    assert client.get("/api/v1/inbox/unread-count").json() == {"unread": 0}


def test_api_list_costs_a_fixed_number_of_queries(
    alice: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(20):
        deliver(alice, f"Message {n}")
    client = client_for(alice)
    client.get("/api/v1/inbox")
    # Session, user, the count and the rows, the session's refresh (3).
    with django_assert_max_num_queries(7):
        assert len(client.get("/api/v1/inbox").json()["items"]) == 20


def test_newest_first(alice: User) -> None:
    first = deliver(alice, "Earlier")
    Message.objects.filter(pk=first.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    deliver(alice, "Later")
    items = client_for(alice).get("/api/v1/inbox").json()["items"]
    assert [m["subject"] for m in items] == ["Later", "Earlier"]
