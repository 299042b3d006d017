"""The endpoints of background import jobs, the same for every kind of import (people,
components, …): list my jobs, upload a file, follow a job, download its full report.

An app adds them to its router with ``add_import_endpoints``; the jobs themselves are the
import framework's (``gridgov.registry.jobs``: one runner per kind, the capability that
starts one, the user's own jobs only — an operator's all).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, File, Form, Path, Router, Schema, Status, UploadedFile

from gridgov.accounts import scope
from gridgov.api.schemas import ERRORS, PAGE, PAGE_SIZE, attributes, list_endpoint, paged
from gridgov.core.transfer import parse_mapping
from gridgov.web.downloads import XLSX_TYPE, file_response, openapi_file

MAX_PK = 2**63 - 1  # the largest value a bigint key column holds
JOB_ID = Path(..., ge=1, le=MAX_PK)


class JobOut(Schema):
    id: int
    file_name: str
    state: Literal["queued", "running", "done", "failed"]
    state_label: str
    options: dict[str, Any]
    done: int
    total: int
    unit: str = Field(description="What done/total count: bytes while reading, then rows")
    percent: float
    created_at: dt.datetime
    finished_at: dt.datetime | None = None
    report: dict[str, Any] | None = Field(
        None, description="Counts and the first problems (row, column, reason) when finished"
    )
    report_ready: bool = Field(description="GET …/report gives the full XLSX report")


class JobListOut(Schema):
    id: int
    file_name: str
    state: str
    state_label: str
    created_at: dt.datetime
    finished_at: dt.datetime | None = None
    report: dict[str, Any] | None = None
    url: str = Field(description="The job's page")


def add_import_endpoints(
    router: Router,
    path: str,
    *,
    kind: str,
    capability: str,
    name: str,
    what: str,
    formats: str,
    page_url: str,
) -> None:
    """Under ``path`` (e.g. "/imports"): ``GET`` my jobs of ``kind``, ``POST`` a file
    (202 and the job), ``GET {job_id}`` its state and ``GET {job_id}/report`` its XLSX
    report. URL names: ``{name}s``, ``{name}_start``, ``{name}``, ``{name}_report``;
    ``what`` names the rows in summaries ("people"), ``formats`` the files accepted,
    ``page_url`` the URL name of a job's page. Add other routes under ``path`` (a template)
    before calling this: ``{job_id}`` would take their names."""
    from gridgov.registry import jobs

    @list_endpoint(
        router,
        path,
        JobListOut,
        summary=f"My imports of {what}, newest first",
        url_name=f"{name}s",
        operation_id=f"{name}s",
    )
    def list_jobs(request: HttpRequest, page: int = PAGE, page_size: int = PAGE_SIZE) -> Any:
        scope.require(request.user, capability)
        return paged(
            jobs.visible_jobs(request.user, kind),
            page,
            page_size,
            lambda job: attributes(
                job,
                JobListOut,
                state_label=job.get_state_display(),
                report=job.report or None,
                url=reverse(page_url, args=[job.pk]),
            ),
        )

    upload = File(..., description=formats)

    @router.post(
        path,
        response={202: JobOut, **ERRORS},
        summary=f"Upload a file of {what} ({formats}); it is imported in the background",
        url_name=f"{name}_start",
        operation_id=f"{name}_start",
    )
    def start_job(
        request: HttpRequest,
        file: UploadedFile = upload,
        mode: Literal["create", "update", "skip"] = Form("create"),
        policy: Literal["all_or_nothing", "skip_invalid"] = Form("all_or_nothing"),
        encoding: Literal["auto", "utf-8", "gbk", "gb18030"] = Form("auto"),
        scope_code: str = Form("", max_length=15, pattern=r"^\d*$"),
        mapping: str = Form("", max_length=4000, description='JSON {"file header": "field"}'),
    ) -> Any:
        options = {
            "mode": mode,
            "policy": policy,
            "encoding": encoding,
            "scope_code": scope_code,
            "mapping": parse_mapping(mapping),
        }
        job = jobs.start_import_job(request.user, file, options, kind=kind)
        return Status(202, jobs.job_status(request.user, job.pk, kind))

    @router.get(
        f"{path}/{{job_id}}",
        response={200: JobOut, **ERRORS},
        summary=f"State, progress and report summary of an import of {what}",
        url_name=name,
        operation_id=name,
    )
    def job_status(request: HttpRequest, job_id: int = JOB_ID) -> Any:
        return jobs.job_status(request.user, job_id, kind)

    @router.get(
        f"{path}/{{job_id}}/report",
        response=ERRORS,
        openapi_extra=openapi_file(XLSX_TYPE),
        summary="The full report of a finished import (XLSX: row, column, reason)",
        url_name=f"{name}_report",
        operation_id=f"{name}_report",
    )
    def job_report(request: HttpRequest, job_id: int = JOB_ID) -> Any:
        file_name, content = jobs.job_report(request.user, job_id, kind)
        return file_response(content, file_name, "xlsx")
