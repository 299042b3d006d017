"""Fixtures of the web tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.test import testcases


class SerialWSGIServer(WSGIServer):
    """A test server answering one request at a time (and closing each connection)."""

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class SerialLiveServerThread(testcases.LiveServerThread):
    server_class = SerialWSGIServer


def _in_memory_sqlite() -> bool:
    return any(c.vendor == "sqlite" and c.is_in_memory_db() for c in connections.all())


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest, django_db_setup: Any) -> Iterator[Any]:
    """pytest-django's live server, made serial on an in-memory SQLite test database.

    There every request thread shares the test's single SQLite connection, and a browser
    loading a page and its map data in parallel then fails with "database table is
    locked". Answering one request at a time removes the race; on PostgreSQL the server
    stays threaded, as pytest-django makes it. It depends on django_db_setup so that it
    is built after the test database exists and sees the test connections.
    """
    from pytest_django.live_server_helper import LiveServer

    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    thread_class = SerialLiveServerThread if _in_memory_sqlite() else testcases.LiveServerThread
    # LiveServer looks the thread class up in django.test.testcases when it is built.
    original = testcases.LiveServerThread
    testcases.LiveServerThread = thread_class  # type: ignore[misc]
    try:
        server = LiveServer(addr, start=False)
    finally:
        testcases.LiveServerThread = original  # type: ignore[misc]
    server.start()
    yield server
    server.stop()
