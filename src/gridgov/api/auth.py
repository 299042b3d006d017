"""API authentication: a bearer token, or the browser's session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from gridgov.accounts import tokens


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = tokens.user_for_token(token)
        if user is None:
            return None
        request.user = user
        return user


bearer_auth = BearerTokenAuth()
# Bearer first: a client sending a token is never judged by a stray session cookie.
# django_auth is the session with a CSRF check on unsafe methods.
AUTH = [bearer_auth, django_auth]
