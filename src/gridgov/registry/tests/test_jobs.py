"""Background import jobs: stored upload, run in-process, progress, report, who sees them."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.registry import jobs, readers
from gridgov.registry.models import ImportJob, Person
from gridgov.registry.tests.core_fixtures import (  # noqa: F401 - fixtures
    GRID,
    keyring,
    people_ctx,
)
from gridgov.registry.tests.import_helpers import good_rows, person_row, write_csv

pytestmark = pytest.mark.django_db


def upload(keyring: Path, rows: list[list[str]], name: str = "居民 名单.csv") -> SimpleUploadedFile:  # noqa: F811
    path = write_csv(keyring / "source.csv", rows, encoding="gbk")
    return SimpleUploadedFile(name, path.read_bytes(), content_type="text/csv")


def test_a_job_stores_the_upload_runs_and_reports(people_ctx, keyring, monkeypatch):  # noqa: F811
    monkeypatch.setattr(readers, "BLOCK_BYTES", 200)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 0)
    rows = [*good_rows(9), person_row("坏电话", seq=99, phone="555")]
    job = jobs.start_import_job(
        people_ctx.township, upload(keyring, rows), {"policy": "skip_invalid"}, launch=False
    )
    stored = Path(job.stored_path)
    assert stored.parent.parent == keyring / "uploads" / "imports"
    assert stored.name == "居民_名单.csv" and oct(stored.stat().st_mode & 0o777) == "0o600"
    status = jobs.job_status(people_ctx.township, job.pk)
    assert (status["state"], status["percent"], status["report_ready"]) == ("queued", 0.0, False)

    jobs.run_job(job.pk)

    status = jobs.job_status(people_ctx.township, job.pk)
    assert status["state"] == "done" and status["percent"] == 100.0
    assert (status["done"], status["total"]) == (10, 10)
    assert {k: status["report"][k] for k in ("read", "created", "rejected")} == {
        "read": 10,
        "created": 9,
        "rejected": 1,
    }
    assert status["report"]["errors"] == [
        {"row": 11, "column": "联系电话", "reason": status["report"]["errors"][0]["reason"]}
    ]
    progress = json.loads((stored.parent / jobs.PROGRESS_FILE).read_text())
    assert progress["done"] == progress["total"] == stored.stat().st_size
    assert Person.objects.count() == 9

    name, data = jobs.job_report(people_ctx.township, job.pk)
    assert name == "居民_名单-report.xlsx"
    book = load_workbook(io.BytesIO(data))
    rejected = list(book.worksheets[1].iter_rows(values_only=True))
    assert rejected[1][:2] == (11, "联系电话")


def test_a_job_runs_once(people_ctx, keyring):  # noqa: F811
    job = jobs.start_import_job(people_ctx.township, upload(keyring, good_rows(2)), launch=False)
    jobs.run_job(job.pk)
    jobs.run_job(job.pk)
    assert Person.objects.count() == 2


def test_a_refused_import_fails_the_job_and_writes_nothing(people_ctx, keyring):  # noqa: F811
    bad = SimpleUploadedFile("x.csv", "名字,电话\n张三,1\n".encode(), content_type="text/csv")
    job = jobs.start_import_job(people_ctx.township, bad, launch=False)
    jobs.run_job(job.pk)
    status = jobs.job_status(people_ctx.township, job.pk)
    assert status["state"] == "failed" and "fields" in status["report"]
    assert Person.objects.count() == 0


def test_progress_of_a_running_job_and_of_a_dead_one(people_ctx, keyring):  # noqa: F811
    job = jobs.start_import_job(people_ctx.township, upload(keyring, good_rows(2)), launch=False)
    ImportJob.objects.filter(pk=job.pk).update(state="running")
    folder = Path(job.stored_path).parent
    jobs._ProgressFile(folder)(250, 1000, "bytes", force=True)
    status = jobs.job_status(people_ctx.township, job.pk)
    assert (status["state"], status["done"], status["percent"]) == ("running", 250, 25.0)

    data = json.loads((folder / jobs.PROGRESS_FILE).read_text())
    data["pid"] = _dead_pid()
    (folder / jobs.PROGRESS_FILE).write_text(json.dumps(data))
    assert jobs.job_status(people_ctx.township, job.pk)["state"] == "failed"


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child leaves at once
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_jobs_are_seen_by_their_owner_and_operators_only(people_ctx, keyring, make_user):  # noqa: F811
    job = jobs.start_import_job(people_ctx.township, upload(keyring, good_rows(1)), launch=False)
    other = make_user("township_staff", "411302001")
    for outsider in (other, people_ctx.sibling, people_ctx.leader):
        with pytest.raises(NotFound):
            jobs.job_status(outsider, job.pk)
        with pytest.raises(NotFound):
            jobs.job_report(outsider, job.pk)
    operator = make_user(is_superuser=True)
    assert jobs.job_status(operator, job.pk)["id"] == job.pk
    assert list(jobs.visible_jobs(other)) == []


@pytest.mark.parametrize("who", ["worker", "leader"])
def test_users_without_import_cannot_start_a_job(people_ctx, keyring, who):  # noqa: F811
    with pytest.raises(PermissionDenied):
        jobs.start_import_job(getattr(people_ctx, who), upload(keyring, good_rows(1)))
    assert ImportJob.objects.count() == 0
    assert not (keyring / "uploads").exists()


def test_bad_options_and_empty_files_are_refused(people_ctx, keyring):  # noqa: F811
    with pytest.raises(InvalidInput) as refused:
        jobs.start_import_job(people_ctx.township, upload(keyring, []), {"mode": "merge"})
    assert set(refused.value.details["fields"]) == {"mode"}
    with pytest.raises(InvalidInput):
        jobs.start_import_job(people_ctx.township, SimpleUploadedFile("e.csv", b""))
    assert ImportJob.objects.count() == 0


def test_the_command_runs_a_job(people_ctx, keyring):  # noqa: F811
    from gridgov.cli import main

    job = jobs.start_import_job(people_ctx.township, upload(keyring, good_rows(3)), launch=False)
    assert main(["jobs", "run", str(job.pk)]) == 0
    assert ImportJob.objects.get(pk=job.pk).state == "done"
    assert Person.objects.filter(grid_code=GRID).count() == 2
