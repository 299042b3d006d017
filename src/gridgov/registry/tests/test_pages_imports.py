"""Imports and exports in the web pages: upload → background job → progress → report, the
templates, and exports masked unless the user may and asks to reveal (audited)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from gridgov.audit.models import AuditEvent
from gridgov.registry import jobs, spreadsheets
from gridgov.registry.models import ImportJob, Person
from gridgov.registry.tests.core_fixtures import COMMUNITY
from gridgov.registry.tests.import_helpers import HEADERS, good_rows, person_row
from gridgov.registry.tests.web_fixtures import ELDER_ID, ID_NUMBER, PHONE, Register, client_for


def csv_file(rows: list[list[str]], headers: list[str] = HEADERS, encoding: str = "gbk") -> Any:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return SimpleUploadedFile("居民.csv", buffer.getvalue().encode(encoding), "text/csv")


def upload(client: Any, rows: list[list[str]], **options: str) -> Any:
    data = {"mode": "create", "policy": "all_or_nothing", "encoding": "auto", **options}
    return client.post("/registry/imports/", {**data, "file": csv_file(rows)})


def test_an_upload_becomes_a_job_with_progress_and_a_report(register: Register) -> None:
    client = client_for(register.community)
    rows = [*good_rows(3), person_row("坏号码", id_number="411302198013321234")]
    response = upload(client, rows, policy="skip_invalid")
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/registry/imports/{job.pk}/"
    # Queued: the job page polls its progress part every second.
    html = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in html and 'data-state="queued"' in html
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith("<section") and "<html" not in partial

    jobs.run_job(job.pk)  # what the background process does
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'data-state="done"' in partial and "hx-trigger" not in partial  # polling stops
    assert Person.objects.filter(name__startswith="居民").count() == 3
    html = client.get(response["Location"]).content.decode()
    assert "公民身份号码" in html  # the rejected row's column, as the file heads it
    assert f'href="/registry/imports/{job.pk}/report.xlsx"' in html
    report = client.get(f"/registry/imports/{job.pk}/report.xlsx")
    assert report.status_code == 200
    assert report["Content-Type"] == spreadsheets.XLSX_TYPE
    assert report.content[:2] == b"PK"  # a zip: an XLSX workbook
    listing = client.get("/registry/imports/").content.decode()
    assert f'href="/registry/imports/{job.pk}/"' in listing


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(register: Register) -> None:
    client = client_for(register.community)
    before = Person.objects.count()
    upload(client, [*good_rows(2), person_row("无网格", grid="411302001001009")])
    jobs.run_job(ImportJob.objects.get().pk)
    assert Person.objects.count() == before
    html = client.get(f"/registry/imports/{ImportJob.objects.get().pk}/").content.decode()
    assert "gg-alert--warning" in html


def test_a_mapping_for_unknown_headers(register: Register) -> None:
    client = client_for(register.community)
    headers = ["名字", "性别", "出生日期", "身份证", "手机", "网格编码", "居住类型"]
    rows = good_rows(1)
    response = client.post(
        "/registry/imports/",
        {
            "mode": "create",
            "policy": "all_or_nothing",
            "encoding": "gbk",
            "mapping": "手机 = phone\n名字 = name",
            "file": csv_file(rows, headers),
        },
    )
    assert response.status_code == 302
    assert ImportJob.objects.get().options["mapping"] == {"手机": "phone", "名字": "name"}
    bad = client.post(
        "/registry/imports/",
        {
            "mode": "create",
            "policy": "all_or_nothing",
            "encoding": "auto",
            "mapping": "手机",
            "file": csv_file(rows),
        },
    )
    assert bad.status_code == 422 and ImportJob.objects.count() == 1


def test_templates_download(register: Register) -> None:
    client = client_for(register.community)
    xlsx = client.get("/registry/imports/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "attachment" in xlsx["Content-Disposition"]
    text = client.get("/registry/imports/template.csv").content.decode("utf-8-sig")
    assert text.startswith("姓名,")
    assert client.get("/registry/imports/template.pdf").status_code == 404


def export(client: Any, **data: str) -> Any:
    return client.post("/registry/export/", {"code": COMMUNITY, "format": "csv", **data})


def body_of(response: Any) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8-sig")


def test_exports_are_masked_unless_revealed_and_audited(register: Register) -> None:
    client = client_for(register.community)
    masked = export(client)
    assert masked.status_code == 200
    text = body_of(masked)
    assert "王建国" in text and "4113**********1232" in text
    for number in (ID_NUMBER, PHONE, ELDER_ID):
        assert number not in text
    event = AuditEvent.objects.filter(action="registry.export").latest("pk")
    assert event.changes["reveal"] is False and event.changes["rows"] == 3

    revealed = body_of(export(client, reveal="on"))
    assert ID_NUMBER in revealed and PHONE in revealed
    event = AuditEvent.objects.filter(action="registry.export").latest("pk")
    assert event.changes["reveal"] is True
    assert ID_NUMBER not in str(event.changes)


def test_who_may_not_reveal_gets_masked_numbers(register: Register) -> None:
    # Township staff export, but may not read full numbers: no reveal box, and a forged
    # one is ignored.
    client = client_for(register.township)
    assert 'name="reveal"' not in client.get("/registry/export/").content.decode()
    text = body_of(export(client, reveal="on"))
    assert "王建国" in text and ID_NUMBER not in text


def test_an_export_outside_the_scope(register: Register) -> None:
    client = client_for(register.community)
    before = AuditEvent.objects.count()
    response = export(client, code="411302002001")
    assert response.status_code == 404
    assert AuditEvent.objects.count() == before


def test_xlsx_export(register: Register) -> None:
    response = export(client_for(register.community), format="xlsx")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert response["Content-Type"] == spreadsheets.XLSX_TYPE
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c}
    assert "王建国" in cells and "4113**********1232" in cells and ID_NUMBER not in cells
