"""Component pages and API: the permission matrix over every page and endpoint, refused
calls change nothing, query counts of the lists, the map layer."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from gridgov.accounts.models import User
from gridgov.audit.models import AuditEvent
from gridgov.cases.models import Attachment, Component, ComponentState
from gridgov.cases.tests.component_fixtures import (
    GRID,
    GRID_2,
    POINT_IN_GRID,
    TOWNSHIP,
    Ctx,
    _english,
    _fresh_locate_index,
    ctx,
)

__all__ = ["_english", "_fresh_locate_index", "ctx"]


def api(name: str, *args: Any) -> str:
    return reverse(f"api:{name}", args=args or None)


def page(name: str, *args: Any) -> str:
    return reverse(f"cases:{name}", args=args or None)


def test_smoke_pages(ctx: Ctx, login: Callable[[User], Client]) -> None:
    c = ctx.make(lon=POINT_IN_GRID[0], lat=POINT_IN_GRID[1], grid_code=None)
    client = login(ctx.township)
    for url in (
        page("component_list"),
        page("component_list") + f"?code={TOWNSHIP}&state=intact",
        page("component_detail", c.pk),
        page("component_create"),
        page("component_edit", c.pk),
        page("component_import_list"),
        page("component_export"),
        reverse("territory:region", args=[TOWNSHIP]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    response = client.get(api("cases_components_geojson") + f"?code={TOWNSHIP}")
    assert response.status_code == 200
    assert response.json()["features"][0]["properties"]["code"] == c.component_id
