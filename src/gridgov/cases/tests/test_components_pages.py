"""Component pages and API: the permission matrix over every page and endpoint
(anonymous, wrong role, wrong scope — a sibling township —, right scope), refused calls
change nothing, query counts of the lists, the map layer and the region panel."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from gridgov.accounts.models import User
from gridgov.audit.models import AuditEvent
from gridgov.cases.actions import components as actions
from gridgov.cases.models import Attachment, Component
from gridgov.cases.tests.component_fixtures import (
    COMMUNITY,
    COUNTY,
    GRID,
    GRID_2,
    POINT_IN_GRID,
    SIBLING_GRID,
    SIBLING_TOWNSHIP,
    TOWNSHIP,
    Ctx,
    _english,
    _fresh_locate_index,
    ctx,
    row,
    write_csv,
)
from gridgov.registry import jobs
from gridgov.registry.models import ImportJob

__all__ = ["_english", "_fresh_locate_index", "ctx"]


def api(name: str, *args: Any) -> str:
    return reverse(f"api:{name}", args=args or None)


def page(name: str, *args: Any) -> str:
    return reverse(f"cases:{name}", args=args or None)


def inventory() -> list[Any]:
    """Everything a refused call must leave alone."""
    rows: list[Any] = list(Component.objects.order_by("pk").values_list())
    return [*rows, AuditEvent.objects.count(), Attachment.objects.count()]


def jpeg(name: str = "cover.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 140, 160)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def located(ctx: Ctx) -> Component:
    return ctx.make(lon=POINT_IN_GRID[0], lat=POINT_IN_GRID[1], grid_code=None)


def as_user(client: Client, user: User | None) -> Client:
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


# --- pages: who may open what -------------------------------------------------------------

# (page, args from the component, who → expected status); "anon" gets the login redirect.
READ_PAGES = [
    ("component_list", False, {"citizen": 403, "sibling": 200, "worker": 200, "township": 200}),
    ("component_detail", True, {"citizen": 404, "sibling": 404, "worker": 200, "township": 200}),
    ("component_edit", True, {"citizen": 404, "sibling": 404, "worker": 403, "township": 200}),
    ("component_create", False, {"citizen": 403, "sibling": 200, "worker": 403, "township": 200}),
    ("component_import_list", False, {"citizen": 403, "worker": 403, "township": 200}),
    ("component_export", False, {"citizen": 403, "worker": 200, "township": 200}),
]


@pytest.mark.parametrize(("name", "with_pk", "expected"), READ_PAGES)
def test_page_matrix(
    client: Client, ctx: Ctx, located: Component, name: str, with_pk: bool, expected: dict
) -> None:
    url = page(name, located.pk) if with_pk else page(name)
    response = as_user(client, None).get(url)
    assert response.status_code == 302 and "/login" in response["Location"]
    for who, status in expected.items():
        response = as_user(client, getattr(ctx, who)).get(url)
        assert response.status_code == status, (who, url)


def test_the_list_shows_only_the_scope(client: Client, ctx: Ctx, located: Component) -> None:
    mine = as_user(client, ctx.township).get(page("component_list"))
    assert located.component_id in mine.content.decode()
    theirs = as_user(client, ctx.sibling).get(page("component_list"))
    assert located.component_id not in theirs.content.decode()
    # A department sees the components of the territory it serves (its county).
    dept = as_user(client, ctx.dept_user).get(page("component_list"))
    assert located.component_id in dept.content.decode()


POSTS: list[tuple[str, dict[str, Any]]] = [
    ("component_state", {"state": "damaged", "version": 1}),
    ("component_retire", {"reason": "拆除", "version": 1}),
    ("component_edit", {"name": "改名", "grid_code": GRID, "version": 1}),
]


@pytest.mark.parametrize(("name", "data"), POSTS)
def test_refused_posts_change_nothing(
    client: Client, ctx: Ctx, located: Component, name: str, data: dict
) -> None:
    url = page(name, located.pk)
    before = inventory()
    assert as_user(client, None).post(url, data).status_code == 302  # to the login
    assert as_user(client, ctx.citizen).post(url, data).status_code == 404
    assert as_user(client, ctx.worker).post(url, data).status_code == 403
    assert as_user(client, ctx.sibling).post(url, data).status_code == 404
    assert inventory() == before
    response = as_user(client, ctx.township).post(url, data)
    assert response.status_code == 302
    assert Component.objects.get(pk=located.pk).version == 2


def test_create_page(client: Client, ctx: Ctx) -> None:
    data = {"case_class": ctx.classes["0110"].pk, "name": "路灯", "state": "intact"}
    before = inventory()
    response = as_user(client, ctx.sibling).post(
        page("component_create"), {**data, "grid_code": GRID}
    )
    assert response.status_code == 404
    response = as_user(client, ctx.worker).post(
        page("component_create"), {**data, "grid_code": GRID}
    )
    assert response.status_code == 403
    response = as_user(client, ctx.township).post(
        page("component_create"), {**data, "grid_code": "41130200100100"}
    )
    assert response.status_code == 422  # a 14-digit grid that does not exist
    assert inventory() == before
    response = as_user(client, ctx.township).post(
        page("component_create"), {**data, "lon": POINT_IN_GRID[0], "lat": POINT_IN_GRID[1]}
    )
    created = Component.objects.get()
    assert response.status_code == 302 and response["Location"] == page(
        "component_detail", created.pk
    )
    assert (created.component_id, created.grid_code) == (f"{COUNTY}0110000001", GRID)


def test_a_stale_state_form_is_a_conflict(client: Client, ctx: Ctx, located: Component) -> None:
    actions.change_component_state(located.pk, actor=ctx.township, state="lost")
    response = as_user(client, ctx.township).post(
        page("component_state", located.pk), {"state": "damaged", "version": 1}
    )
    assert response.status_code == 409
    assert Component.objects.get(pk=located.pk).state == "lost"


def test_retire_and_restore(client: Client, ctx: Ctx, located: Component) -> None:
    client = as_user(client, ctx.township)
    response = client.post(page("component_retire", located.pk), {"reason": "", "version": 1})
    assert response.status_code == 422
    client.post(page("component_retire", located.pk), {"reason": "道路改造拆除", "version": 1})
    assert Component.objects.get(pk=located.pk).is_retired
    assert located.component_id not in client.get(page("component_list")).content.decode()
    assert (
        located.component_id in client.get(page("component_list") + "?retired=yes").content.decode()
    )
    client.post(page("component_restore", located.pk), {"version": 2})
    assert not Component.objects.get(pk=located.pk).is_retired


def test_secondary_filters_fold_until_used(client: Client, ctx: Ctx) -> None:
    client = as_user(client, ctx.township)
    plain = client.get(page("component_list")).content.decode()
    before, folded = plain.split('<details class="gg-filters__more">')  # folded on a phone
    assert 'name="q"' in before and 'name="department"' in folded  # the search in view
    used = client.get(page("component_list") + f"?code={TOWNSHIP}").content.decode()
    assert '<details class="gg-filters__more" open>' in used


def test_photos(client: Client, ctx: Ctx, located: Component, media: Path) -> None:
    url = page("component_photo", located.pk)
    before = inventory()
    assert as_user(client, ctx.sibling).post(url, {"photo": jpeg()}).status_code == 404
    assert as_user(client, ctx.worker).post(url, {"photo": jpeg()}).status_code == 403
    not_a_photo = SimpleUploadedFile("x.jpg", b"%PDF-1.4 nothing", content_type="image/jpeg")
    assert as_user(client, ctx.township).post(url, {"photo": not_a_photo}).status_code == 422
    assert inventory() == before
    assert not any(media.rglob("*.*")) if media.exists() else True
    assert as_user(client, ctx.township).post(url, {"photo": jpeg()}).status_code == 302
    photo = Attachment.objects.get(component=located)
    assert photo.purpose == "component"
    image_url = page("component_photo_file", located.pk, photo.pk)
    detail = as_user(client, ctx.worker).get(page("component_detail", located.pk))
    assert image_url in detail.content.decode()
    response = as_user(client, ctx.worker).get(image_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert as_user(client, ctx.sibling).get(image_url).status_code == 404
    thumb = as_user(client, ctx.worker).get(page("component_photo_thumbnail", located.pk, photo.pk))
    assert thumb.status_code == 200


# --- API ------------------------------------------------------------------------------------


def test_api_matrix(client: Client, ctx: Ctx, located: Component) -> None:
    one = api("cases_component", located.pk)
    layer = api("cases_components_geojson") + f"?code={COMMUNITY}"
    reads = [api("cases_components"), one, layer]
    for url in reads:
        assert as_user(client, None).get(url).status_code == 401
    assert as_user(client, ctx.citizen).get(reads[0]).status_code == 403
    assert as_user(client, ctx.citizen).get(one).status_code == 404
    assert as_user(client, ctx.sibling).get(one).status_code == 404
    assert as_user(client, ctx.sibling).get(reads[2]).status_code == 404
    sibling_list = as_user(client, ctx.sibling).get(reads[0]).json()
    assert sibling_list["count"] == 0
    for url in reads:
        assert as_user(client, ctx.worker).get(url).status_code == 200
    by_id = as_user(client, ctx.worker).get(api("cases_component", located.component_id))
    assert by_id.json()["id"] == located.pk and by_id.json()["can_edit"] is False


API_CHANGES: list[tuple[str, str, dict[str, Any]]] = [
    ("patch", "cases_component_update", {"name": "改名", "version": 1}),
    ("post", "cases_component_state", {"state": "lost", "version": 1}),
    ("post", "cases_component_retire", {"reason": "拆除", "version": 1}),
]


@pytest.mark.parametrize(("method", "name", "body"), API_CHANGES)
def test_api_refused_changes_change_nothing(
    client: Client, ctx: Ctx, located: Component, method: str, name: str, body: dict
) -> None:
    url = api(name, located.pk)

    def send(user: User | None) -> int:
        c = as_user(client, user)
        return getattr(c, method)(url, body, content_type="application/json").status_code

    before = inventory()
    assert send(None) == 401
    assert send(ctx.citizen) == 404
    assert send(ctx.worker) == 403
    assert send(ctx.sibling) == 404
    assert inventory() == before
    assert send(ctx.township) == 200
    stale = getattr(as_user(client, ctx.township), method)(
        url, body, content_type="application/json"
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"


def test_api_create_and_errors(client: Client, ctx: Ctx) -> None:
    client = as_user(client, ctx.township)
    url = api("cases_component_create")
    bad = client.post(
        url,
        {"case_class": "0101", "name": "井盖", "component_id": "41130201010000", "grid_code": GRID},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "component_id" in bad.json()["details"]["fields"]
    outside = client.post(
        url,
        {"case_class": "0101", "name": "井盖", "grid_code": SIBLING_GRID},
        content_type="application/json",
    )
    assert outside.status_code == 404
    assert not Component.objects.exists()
    made = client.post(
        url,
        {
            "case_class": "0101",
            "name": "井盖",
            "lon": POINT_IN_GRID[0],
            "lat": POINT_IN_GRID[1],
            "state": "damaged",
        },
        content_type="application/json",
    )
    assert made.status_code == 201
    assert (
        made.json()["component_id"] == f"{COUNTY}0101000001" and made.json()["state"] == "damaged"
    )


def test_api_filters_and_counts(client: Client, ctx: Ctx) -> None:
    ctx.make(name="东门井盖")
    ctx.make(name="路灯甲", case_class="0110", grid_code=GRID_2, state="damaged")
    ctx.make(name="路灯乙", case_class="0110", competent_department=ctx.department)
    client = as_user(client, ctx.township)

    def names(query: str) -> list[str]:
        items = client.get(api("cases_components") + query).json()["items"]
        return sorted(i["name"] for i in items)

    assert names("?class_code=0110") == ["路灯乙", "路灯甲"]
    assert names("?class_code=01&state=damaged") == ["路灯甲"]
    assert names(f"?code={GRID_2}") == ["路灯甲"]
    assert names("?q=东门") == ["东门井盖"]
    assert names(f"?q={COUNTY}0110") == ["路灯乙", "路灯甲"]
    assert names(f"?department={ctx.department.pk}") == ["路灯乙"]
    counts = client.get(api("cases_component_counts") + f"?code={TOWNSHIP}").json()
    assert counts["total"] == 3 and counts["by_state"]["damaged"] == 1
    assert [(c["code"], c["total"]) for c in counts["by_class"]] == [("0101", 1), ("0110", 2)]
    refused = as_user(client, ctx.sibling).get(api("cases_component_counts") + f"?code={TOWNSHIP}")
    assert refused.status_code == 404


def test_geojson_layer_is_bounded(client: Client, ctx: Ctx, settings: Any) -> None:
    ctx.make(lon=112.41, lat=33.09, grid_code=None)
    ctx.make(lon=112.44, lat=33.09, grid_code=None)
    ctx.make()  # not located: not on the map
    client = as_user(client, ctx.township)
    url = api("cases_components_geojson")
    layer = client.get(f"{url}?code={TOWNSHIP}").json()
    assert len(layer["features"]) == 2
    assert {f["properties"]["color"] for f in layer["features"]} == {"#3f9f6b"}
    boxed = client.get(f"{url}?code={TOWNSHIP}&bbox=112.40,33.05,112.425,33.10").json()
    assert len(boxed["features"]) == 1
    capped = client.get(f"{url}?code={TOWNSHIP}&limit=1")
    assert capped.status_code == 422 and capped.json()["code"] == "too_many_features"
    assert client.get(f"{url}?code={TOWNSHIP}&bbox=1,2,3").status_code == 422


def test_api_import_job_and_export(client: Client, ctx: Ctx, tmp_path: Path, settings: Any) -> None:
    settings.GRIDGOV_HOME = tmp_path
    path = write_csv(tmp_path / "c.csv", [row("井盖"), row("", class_code="0110")])
    client = as_user(client, ctx.worker)
    with path.open("rb") as fh:
        refused = client.post(api("cases_component_import_start"), {"file": fh})
    assert refused.status_code == 403 and not ImportJob.objects.exists()
    client = as_user(client, ctx.township)
    with path.open("rb") as fh:
        started = client.post(
            api("cases_component_import_start"), {"file": fh, "policy": "skip_invalid"}
        )
    assert started.status_code == 202
    job_id = started.json()["id"]
    assert ImportJob.objects.get(pk=job_id).kind == "components"
    jobs.run_job(job_id)
    status = client.get(api("cases_component_import", job_id)).json()
    assert status["state"] == "done" and status["report"]["created"] == 1
    assert status["report"]["errors"][0]["row"] == 3
    report = client.get(api("cases_component_import_report", job_id))
    assert report.status_code == 200
    listed = client.get(api("cases_component_imports")).json()
    assert [j["id"] for j in listed["items"]] == [job_id]
    assert listed["items"][0]["url"] == page("component_import_detail", job_id)
    assert as_user(client, ctx.worker).get(api("cases_component_imports")).status_code == 403
    assert as_user(client, ctx.supervision).get(api("cases_component_imports")).json()["count"] == 0
    # Another user's job, or a people job's number, is not found.
    assert (
        as_user(client, ctx.supervision).get(api("cases_component_import", job_id)).status_code
        == 404
    )
    assert (
        as_user(client, ctx.township).get(reverse("api:registry_import", args=[job_id])).status_code
        == 404
    )
    exported = client.get(api("cases_component_export") + f"?code={TOWNSHIP}&format=geojson")
    assert exported.status_code == 200 and exported["Content-Type"] == "application/geo+json"
    assert exported.getvalue().count(b'"Feature"') == 1


def test_import_pages(client: Client, ctx: Ctx, tmp_path: Path, settings: Any) -> None:
    settings.GRIDGOV_HOME = tmp_path
    client = as_user(client, ctx.township)
    upload = SimpleUploadedFile("c.csv", write_csv(tmp_path / "c.csv", [row("井盖")]).read_bytes())
    data = {"file": upload, "mode": "create", "policy": "all_or_nothing", "encoding": "auto"}
    response = client.post(page("component_import_list"), data)
    job = ImportJob.objects.get(kind="components")
    assert response.status_code == 302 and response["Location"] == page(
        "component_import_detail", job.pk
    )
    jobs.run_job(job.pk)
    detail = client.get(page("component_import_detail", job.pk))
    assert detail.status_code == 200 and 'data-state="done"' in detail.content.decode()
    assert client.get(page("component_import_report", job.pk)).status_code == 200
    assert (
        as_user(client, ctx.sibling).get(page("component_import_detail", job.pk)).status_code == 404
    )
    template = as_user(client, ctx.township).get(page("component_import_template", "xlsx"))
    assert template.status_code == 200


def test_export_page(client: Client, ctx: Ctx, located: Component) -> None:
    data = {"code": COMMUNITY, "format": "csv"}
    assert as_user(client, ctx.sibling).post(page("component_export"), data).status_code == 404
    assert not AuditEvent.objects.filter(action="components.export").exists()
    response = as_user(client, ctx.worker).post(page("component_export"), data)
    assert response.status_code == 200
    assert located.component_id in response.getvalue().decode("utf-8-sig")


def test_region_panel(client: Client, ctx: Ctx, located: Component) -> None:
    response = as_user(client, ctx.supervision).get(reverse("territory:region", args=[TOWNSHIP]))
    html = response.content.decode()
    assert 'id="region-components"' in html and "cases_components" not in html
    assert reverse("api:cases_components_geojson") in html
    # A township's staff does not see the panel of a township it may not open at all.
    assert (
        as_user(client, ctx.township)
        .get(reverse("territory:region", args=[SIBLING_TOWNSHIP]))
        .status_code
        == 404
    )


# --- query counts ---------------------------------------------------------------------------


def _many(ctx: Ctx, n: int) -> None:
    for i in range(n):
        ctx.make(
            name=f"井盖{i}",
            case_class="0110" if i % 2 else "0101",
            competent_department=ctx.department if i % 3 else None,
            lon=112.401 + i * 0.0005,
            lat=33.06,
            grid_code=None,
        )


def test_list_query_counts(
    client: Client, ctx: Ctx, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    _many(ctx, 12)
    client = as_user(client, ctx.township)
    client.get(page("component_list"))  # warm the session and the user
    # Session, user and roles (3), the class and department choices of the filters (3),
    # count, page and counts per state (3), the top bar's unread messages (1), the
    # session saved (3): the same however many rows there are.
    with django_assert_max_num_queries(13):
        client.get(page("component_list") + f"?code={TOWNSHIP}")
    with django_assert_max_num_queries(8):
        client.get(api("cases_components"))
    with django_assert_max_num_queries(8):
        client.get(api("cases_components_geojson") + f"?code={TOWNSHIP}")
    with django_assert_max_num_queries(9):
        client.get(api("cases_component_counts") + f"?code={TOWNSHIP}")
    _many(ctx, 12)  # twice the rows: the same queries
    with django_assert_max_num_queries(13):
        client.get(page("component_list") + f"?code={TOWNSHIP}")
    with django_assert_max_num_queries(8):
        client.get(api("cases_components"))


def test_detail_lists_the_cases_about_it(client: Client, ctx: Ctx, located: Component) -> None:
    from gridgov.cases.actions.workflow import report_case

    case = report_case(
        actor=ctx.worker,
        source="patrol",
        description="井盖破损，有行人绊倒风险",
        component=located.component_id,
        attributes={"situation": "broken"},  # the manhole cover class asks which fault
        lon=POINT_IN_GRID[0],
        lat=POINT_IN_GRID[1],
    )
    html = as_user(client, ctx.township).get(page("component_detail", located.pk)).content
    assert case.number in html.decode()
    other = ctx.make(name="另一个井盖")
    html = as_user(client, ctx.township).get(page("component_detail", other.pk)).content
    assert case.number not in html.decode()
