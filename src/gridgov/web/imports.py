"""The pages of background import jobs, the same for every kind (people, components, the
responsibility list): upload a file and list my imports, follow a job, download its report.

An app describes its kind once with ``ImportPages``: its upload view calls ``upload``, and
``detail_view`` and ``report_view`` make the views of a job's page and of its report. The
templates show a job with ``web/includes/import_status.html`` and the list with
``web/includes/import_jobs.html``. The jobs are the import framework's
(``gridgov.registry.jobs``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from gridgov.accounts import scope
from gridgov.accounts.viewutils import act, domain_errors, form_status
from gridgov.core.paging import paginate
from gridgov.web.downloads import file_response

PAGE_SIZE = 30
STATUS_TEMPLATE = "web/includes/import_status.html"


@dataclass(frozen=True)
class ImportPages:
    """One kind of import job: its name in ``registry.jobs``, the capability that starts
    one, and the URL names of a job's page and of its XLSX report (both take the job id)."""

    kind: str
    capability: str
    detail_url: str
    report_url: str

    def upload(
        self,
        request: HttpRequest,
        form: forms.Form,
        template: str,
        *,
        run_now: bool = False,
        **context: Any,
    ) -> HttpResponse:
        """The upload form and my earlier imports; a valid upload starts a job and opens
        its page. ``run_now`` runs the job in this request (a short file) instead of in
        the background. The form has ``options()`` and a ``file`` field."""
        from gridgov.registry import jobs

        scope.require(request.user, self.capability)
        status = 200
        if request.method == "POST" and form.is_valid():
            ok, job, status = act(
                form,
                lambda: jobs.start_import_job(
                    request.user,
                    form.cleaned_data["file"],
                    form.options(),  # type: ignore[attr-defined]
                    kind=self.kind,
                    launch=not run_now,
                ),
            )
            if ok:
                if run_now:
                    jobs.run_job(job.pk)
                return redirect(self.detail_url, job.pk)
        jobs_page = paginate(
            jobs.visible_jobs(request.user, self.kind), request.GET.get("page"), PAGE_SIZE
        )
        context = {"form": form, "page": jobs_page, "imports": self, **context}
        return render(request, template, context, status=form_status(form, status))

    def job(self, request: HttpRequest, job_id: int, template: str, **context: Any) -> HttpResponse:
        """A job's page; while it runs htmx asks again every second and gets only the
        status part."""
        from gridgov.registry import jobs

        status = jobs.job_status(request.user, job_id, self.kind)
        partial = request.headers.get("HX-Request")
        context = {"job": status, "imports": self, **context}
        return render(request, STATUS_TEMPLATE if partial else template, context)

    def report(self, request: HttpRequest, job_id: int) -> HttpResponseBase:
        """The full report of a finished job (XLSX); 404 before then or for another's."""
        from gridgov.registry import jobs

        name, content = jobs.job_report(request.user, job_id, self.kind)
        return file_response(content, name, "xlsx")

    def detail_view(
        self, template: str, context: Callable[[HttpRequest], dict[str, Any]] | None = None
    ) -> Callable[..., HttpResponse]:
        """The view of a job's page (``job_id`` from the URL): ``template`` with the job,
        and what ``context(request)`` adds (tabs, the button once something is written)."""

        @login_required
        @require_GET
        @domain_errors
        def job_page(request: HttpRequest, job_id: int) -> HttpResponse:
            extra = context(request) if context else {}
            return self.job(request, job_id, template, **extra)

        return job_page

    def report_view(self) -> Callable[..., HttpResponseBase]:
        """The view of a job's XLSX report (``job_id`` from the URL)."""

        @login_required
        @require_GET
        @domain_errors
        def report_file(request: HttpRequest, job_id: int) -> HttpResponseBase:
            return self.report(request, job_id)

        return report_file
