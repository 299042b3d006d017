"""Exports of a territory node: masked by default, revealed only with the capability and
audited, refused outside scope, and re-importable."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from gridgov.audit.models import AuditEvent
from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.core.system import SYSTEM
from gridgov.registry import exports, importers
from gridgov.registry.columns import template_headers
from gridgov.registry.tests.core_fixtures import (  # noqa: F401 - fixtures
    COMMUNITY,
    GRID,
    SIBLING_GRID,
    keyring,
    make_id_number,
    people_ctx,
    registry_state,
)
from gridgov.registry.tests.import_helpers import good_rows, person_row, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def populated(people_ctx, keyring):  # noqa: F811
    rows = [*good_rows(3), person_row("邻镇人", seq=81, grid=SIBLING_GRID)]
    importers.import_people(write_csv(keyring / "p.csv", rows), actor=SYSTEM)
    return people_ctx


def xlsx_rows(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))


def test_export_is_masked_and_audited(populated):
    data = exports.export_people(populated.township, "411302001", "xlsx")
    rows = xlsx_rows(data)
    assert list(rows[0]) == template_headers()
    assert sorted(r[0] for r in rows[1:]) == ["居民1", "居民2", "居民3"]
    number = make_id_number(seq=3)
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["居民1"][3] == number[:4] + "**********" + number[-4:]
    assert by_name["居民1"][4] == "138****1234"
    assert by_name["居民1"][1] == "男" and by_name["居民1"][7] == "户籍"
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.grid_code) == ("registry.export", "411302001")
    assert event.changes == {"format": "xlsx", "reveal": False, "rows": 3}


def test_csv_export_has_a_bom_and_chinese_headers(populated):
    data = b"".join(exports.export_people(populated.township, "411302001", "csv"))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == template_headers() and len(rows) == 4
    assert all("*" in r[3] for r in rows[1:])


def test_reveal_needs_the_capability_and_is_audited(populated, make_user):
    staff = make_user("community_staff", COMMUNITY)
    data = exports.export_people(staff, COMMUNITY, "xlsx", reveal=True)
    numbers = {r[3] for r in xlsx_rows(data)[1:]}
    assert numbers == {make_id_number(seq=s) for s in (3, 5, 7)}  # all three live there
    assert AuditEvent.objects.latest("seq").changes["reveal"] is True

    before = registry_state()
    with pytest.raises(PermissionDenied):  # township staff may export but not reveal
        exports.export_people(populated.township, "411302001", "xlsx", reveal=True)
    assert registry_state() == before


def test_exports_outside_scope_or_without_the_capability_are_refused(populated):
    before = registry_state()
    with pytest.raises(NotFound):
        exports.export_people(populated.sibling, "411302001")
    with pytest.raises(NotFound):
        exports.export_people(populated.township, "411302002")
    with pytest.raises(PermissionDenied):
        exports.export_people(populated.worker, GRID)  # grid workers view but do not export
    with pytest.raises(PermissionDenied):
        exports.export_people(populated.leader, "4113")  # leaders see aggregates only
    with pytest.raises(InvalidInput):
        exports.export_people(populated.township, "411302001", "pdf")
    assert registry_state() == before


def test_a_revealed_export_imports_again_in_update_mode(populated, keyring):  # noqa: F811
    data = exports.export_people(SYSTEM, "411302001", "xlsx", reveal=True)
    path = keyring / "export.xlsx"
    path.write_bytes(data)
    report = importers.import_people(
        path, actor=SYSTEM, options=importers.ImportOptions(mode="update")
    )
    assert (report.updated, report.created, report.rejected) == (3, 0, 0)
