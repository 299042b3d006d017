"""Logging in through the real login page: lockout, unlock, IP throttle, sessions."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts import actions
from gridgov.accounts.models import User
from gridgov.audit.models import AuditEvent
from gridgov.conftest import PASSWORD

LOGIN = "/accounts/login/"


def attempt(client: Client, username: str, password: str, **extra: str):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_login_url_names_are_the_settings_ones():
    assert reverse(settings.LOGIN_URL) == LOGIN
    assert reverse("logout") == "/accounts/logout/"


def test_right_password_logs_in_and_is_audited(client, worker):
    response = attempt(client, "worker302", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert client.session["_auth_user_id"] == str(worker.pk)
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor_id == worker.pk and event.grid_code == "" and event.ip == "127.0.0.1"


def test_wrong_password_shows_one_message_and_counts(client, worker):
    response = attempt(client, "worker302", "wrong-password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].non_field_errors()
    worker.refresh_from_db()
    assert worker.failed_logins == 1
    unknown = attempt(client, "nobody", "wrong-password")
    # The same words whether the user exists or not, so names cannot be probed.
    assert unknown.context["form"].non_field_errors() == response.context["form"].non_field_errors()
    assert events("auth.login_failed") == 2


def test_five_failures_lock_even_the_right_password(client, worker):
    for _ in range(settings.GRIDGOV_LOGIN_MAX_FAILURES):
        attempt(client, "worker302", "wrong-password")
    worker.refresh_from_db()
    assert worker.is_locked
    assert events("auth.locked") == 1

    response = attempt(client, "worker302", PASSWORD)
    assert "_auth_user_id" not in client.session
    message = response.context["form"].non_field_errors()[0]
    until = timezone.localtime(worker.locked_until).strftime("%Y-%m-%d %H:%M")
    assert until in message
    assert response.context["locked"] is True


def test_success_resets_the_counter(client, worker):
    for _ in range(settings.GRIDGOV_LOGIN_MAX_FAILURES - 1):
        attempt(client, "worker302", "wrong-password")
    attempt(client, "worker302", PASSWORD)
    worker.refresh_from_db()
    assert worker.failed_logins == 0 and not worker.is_locked


def test_expired_lock_gives_a_fresh_start(client, worker):
    User.objects.filter(pk=worker.pk).update(
        failed_logins=5, locked_until=timezone.now() - timedelta(minutes=1)
    )
    attempt(client, "worker302", "wrong-password")
    worker.refresh_from_db()
    assert worker.failed_logins == 1 and not worker.is_locked


def test_admin_unlocks_through_the_user_page(client, worker, county_admin):
    for _ in range(settings.GRIDGOV_LOGIN_MAX_FAILURES):
        attempt(client, "worker302", "wrong-password")
    admin_client = Client()
    admin_client.force_login(county_admin)
    response = admin_client.post(reverse("accounts:user_unlock", args=[worker.pk]))
    assert response.status_code == 302
    worker.refresh_from_db()
    assert not worker.is_locked and worker.failed_logins == 0
    assert AuditEvent.objects.filter(action="user.unlock", object_id=str(worker.pk)).exists()
    attempt(client, "worker302", PASSWORD)
    assert client.session["_auth_user_id"] == str(worker.pk)


def test_inactive_user_cannot_log_in(client, worker):
    User.objects.filter(pk=worker.pk).update(is_active=False)
    attempt(client, "worker302", PASSWORD)
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action="auth.login_failed").changes == {"reason": "inactive"}


def test_one_address_cannot_walk_through_usernames(client, worker, settings):
    limit = settings.GRIDGOV_LOGIN_IP_MAX_FAILURES = 3  # the default is 20; fewer is quicker
    for n in range(limit):
        attempt(client, f"guess{n}", "wrong-password")
    assert events("auth.ip_throttled") == 1
    # Now even the right password of a real user is refused from this address ...
    response = attempt(client, "worker302", PASSWORD)
    assert "_auth_user_id" not in client.session
    assert "15" in response.context["form"].non_field_errors()[0]
    # ... but another address is not affected.
    other = Client(REMOTE_ADDR="10.0.0.9")
    attempt(other, "worker302", PASSWORD)
    assert other.session["_auth_user_id"] == str(worker.pk)


def test_default_ip_limit_is_twenty_per_fifteen_minutes():
    assert (actions.ip_max_failures(), actions.ip_window_minutes()) == (20, 15)


def test_logout_is_post_only_and_audited(client, worker):
    client.force_login(worker)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.logout", actor_id=worker.pk).exists()


def test_next_is_followed_only_inside_the_site(client, worker):
    ok = client.post(
        LOGIN + "?next=/accounts/tokens/", {"username": "worker302", "password": PASSWORD}
    )
    assert ok["Location"] == "/accounts/tokens/"
    client.post("/accounts/logout/")
    evil = attempt(client, "worker302", PASSWORD, QUERY_STRING="next=https://evil.example/")
    assert evil["Location"] == reverse(settings.LOGIN_REDIRECT_URL)


def test_anonymous_pages_redirect_to_login(client, db):
    response = client.get("/accounts/users/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=")


def test_session_times_out_and_renews_on_every_request():
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert 0 < settings.SESSION_COOKIE_AGE <= 8 * 3600


def test_passwords_are_stored_with_argon2(argon2, client, worker):
    assert worker.password.startswith("argon2")
    attempt(client, "worker302", PASSWORD)
    assert client.session["_auth_user_id"] == str(worker.pk)
