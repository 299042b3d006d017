"""Imports uploaded in the web pages, run in the background as ``ImportJob``s.

``start_import_job`` stores the upload under ``GRIDGOV_HOME/uploads/imports/<job>/``,
creates the job and, once the transaction commits, starts ``gridgov jobs run <id>`` as a
detached process (its own session), so a restart of the web workers does not kill it.
``run_job`` — the same code in-process, for tests and the command — runs the import and
stores the report (JSON summary on the job, full XLSX next to the upload).

Progress: the import writes in one transaction, and on SQLite nobody else can write while
it does, so the running job reports progress through a small JSON file beside the upload
(``progress.json``: done, total, unit, heartbeat, pid) instead of the job row; the row
gets the state changes. ``job_status`` merges the two, and marks a job whose process died
as failed (its transaction was rolled back with it: nothing was written).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.audit import context
from gridgov.core.errors import DomainError, InvalidInput, NotFound
from gridgov.registry import importers, spreadsheets
from gridgov.registry.models import ImportJob

log = logging.getLogger(__name__)

UPLOADS = Path("uploads") / "imports"
PROGRESS_FILE = "progress.json"
REPORT_FILE = "report.xlsx"
PROGRESS_EVERY = 0.5  # seconds between progress file writes
MAX_NAME = 120

# What a job of each kind runs, and the capability starting one needs: another app's
# import (components, …) registers here with the same runner signature as
# ``importers.import_people`` (path, actor=, options=ImportOptions, file_name=, progress=)
# returning an ``importers.ImportReport``. Named by dotted path so this module imports
# no other app.
JOB_KINDS: dict[str, tuple[str, str]] = {
    "people": (importers.IMPORT, "gridgov.registry.importers:import_people"),
}


def register_kind(kind: str, capability: str, runner: str) -> None:
    JOB_KINDS[kind] = (capability, runner)


def _runner(kind: str) -> Any:
    module, _colon, name = JOB_KINDS[kind][1].partition(":")
    return getattr(importlib.import_module(module), name)


def upload_root() -> Path:
    return Path(settings.GRIDGOV_HOME) / UPLOADS


def _safe_name(name: str) -> str:
    """The upload's own name, reduced to a harmless file name (Chinese letters kept)."""
    base = Path(str(name or "upload")).name
    base = re.sub(r"[^\w.\-（）()]+", "_", base).strip("._") or "upload"
    return base[-MAX_NAME:]


def _chunks_of(uploaded: Any, stack: contextlib.ExitStack) -> Iterator[bytes]:
    if isinstance(uploaded, str | os.PathLike):
        source = stack.enter_context(Path(uploaded).open("rb"))  # noqa: SIM115 - closed by the stack
        return iter(lambda: source.read(1 << 20), b"")
    if hasattr(uploaded, "chunks"):
        return iter(uploaded.chunks())
    return iter([uploaded.read()])


def _store(uploaded: Any, folder: Path) -> tuple[str, Path]:
    """Copy an UploadedFile (or a path) into ``folder`` chunk by chunk, owner-only."""
    folder.mkdir(parents=True, mode=0o700, exist_ok=True)
    name = _safe_name(getattr(uploaded, "name", None) or str(uploaded))
    target = folder / name
    with contextlib.ExitStack() as stack:
        chunks = _chunks_of(uploaded, stack)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
    return name, target


def start_import_job(
    user: Any,
    uploaded_file: Any,
    options: Any = None,
    *,
    launch: bool = True,
    kind: str = "people",
) -> ImportJob:
    """Store the upload, create the job and start it in the background after commit.

    ``options`` is an ``ImportOptions`` or a mapping (mode, policy, mapping, encoding,
    scope_code); bad options and users without ``registry.import`` are refused before
    anything is stored."""
    opts = (
        options
        if isinstance(options, importers.ImportOptions)
        else (importers.ImportOptions.parse(options))
    )
    scope.require(user, JOB_KINDS[kind][0], opts.scope_code or None)
    folder = upload_root() / uuid.uuid4().hex
    name, stored = _store(uploaded_file, folder)
    if stored.stat().st_size == 0:
        stored.unlink()
        folder.rmdir()
        raise InvalidInput(_("The file is empty."), fields={"file": _("empty")})
    job = ImportJob.objects.create(
        user=user,
        kind=kind,
        file_name=name,
        stored_path=str(stored),
        options=opts.as_dict(),
        total=stored.stat().st_size,
    )
    if launch:
        transaction.on_commit(lambda: launch_job(job.pk))
    return job


def launch_job(job_id: int) -> subprocess.Popen[bytes]:
    """``gridgov jobs run <id>`` in a session of its own, output to a log beside the upload."""
    job = ImportJob.objects.get(pk=job_id)
    log_path = Path(job.stored_path).with_name("job.log")
    with log_path.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gridgov.cli", "jobs", "run", str(job_id)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "GRIDGOV_HOME": str(settings.GRIDGOV_HOME)},
        )


class _ProgressFile:
    """Writes done/total to ``progress.json`` at most every PROGRESS_EVERY seconds."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / PROGRESS_FILE
        self.last = 0.0

    def __call__(self, done: int, total: int, unit: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        data = {"done": done, "total": total, "unit": unit, "pid": os.getpid(), "at": time.time()}
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data))
        temporary.replace(self.path)


def run_job(job_id: int) -> ImportJob:
    """Run a queued job to its end (done or failed); a job already taken is left alone."""
    if not ImportJob.objects.filter(pk=job_id, state=ImportJob.State.QUEUED).update(
        state=ImportJob.State.RUNNING
    ):
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    folder = Path(job.stored_path).parent
    progress = _ProgressFile(folder)
    progress(0, job.total, "bytes", force=True)
    ctx = context.RequestContext(request_id=context.new_request_id(), channel="job")
    try:
        with context.bound(ctx):
            report = _runner(job.kind)(
                job.stored_path,
                actor=job.user,
                options=importers.ImportOptions.parse(job.options),
                file_name=job.file_name,
                progress=progress,
            )
    except DomainError as exc:
        _finish(job, ImportJob.State.FAILED, {"error": exc.message, **exc.details})
        return job
    except Exception:  # the job must end with a state whatever happened
        log.exception("import job %s failed", job_id)
        _finish(
            job, ImportJob.State.FAILED, {"error": _("The import failed; nothing was written.")}
        )
        return job
    report_path = folder / REPORT_FILE
    report_path.write_bytes(spreadsheets.report_xlsx(report))
    job.report_path = str(report_path)
    job.processed = job.total = report.read
    _finish(job, ImportJob.State.DONE, report.as_dict(error_limit=importers.SUMMARY_ERRORS))
    return job


def _finish(job: ImportJob, state: str, report: dict[str, Any]) -> None:
    job.state = state
    job.report = report
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "report", "report_path", "processed", "total", "finished_at"])


# --- reading jobs -------------------------------------------------------------------------


def visible_jobs(user: Any, kind: str = "people") -> QuerySet[ImportJob]:
    """The user's own import jobs of a kind; an operator sees everyone's."""
    jobs = ImportJob.objects.filter(kind=kind)
    if scope.is_operator(user):
        return jobs
    if not getattr(user, "is_authenticated", False) or not getattr(user, "pk", None):
        return jobs.none()
    return jobs.filter(user_id=user.pk)


def get_job_for(user: Any, job_id: Any, kind: str = "people") -> ImportJob:
    try:
        return visible_jobs(user, kind).get(pk=int(job_id))
    except (ImportJob.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def _progress_of(job: ImportJob) -> dict[str, Any] | None:
    path = Path(job.stored_path).parent / PROGRESS_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def job_status(user: Any, job_id: Any, kind: str = "people") -> dict[str, Any]:
    """State, progress (done/total/unit/percent) and the report summary of a job the user
    may see (their own, or any for an operator); NotFound otherwise."""
    job = get_job_for(user, job_id, kind)
    done, total, unit = job.processed, job.total, "rows"
    if job.state in (ImportJob.State.QUEUED, ImportJob.State.RUNNING):
        found = _progress_of(job)
        unit = "bytes"
        if found:
            done, total, unit = found["done"], found["total"], found["unit"]
            if job.state == ImportJob.State.RUNNING and not _alive(int(found.get("pid", 0))):
                _finish(job, ImportJob.State.FAILED, {"error": _stopped_message()})
    percent = (
        100.0
        if job.state == ImportJob.State.DONE
        else (round(100.0 * done / total, 1) if total else 0.0)
    )
    return {
        "id": job.pk,
        "file_name": job.file_name,
        "state": job.state,
        "state_label": str(job.get_state_display()),
        "options": job.options,
        "done": done,
        "total": total,
        "unit": unit,
        "percent": min(percent, 100.0),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "report": job.report or None,
        "report_ready": bool(job.report_path),
    }


def _stopped_message() -> str:
    return _("The import stopped unexpectedly; nothing was written.")


def job_report(user: Any, job_id: Any, kind: str = "people") -> tuple[str, bytes]:
    """(download name, XLSX bytes) of a finished job's report; NotFound before then."""
    job = get_job_for(user, job_id, kind)
    if not job.report_path or not Path(job.report_path).exists():
        raise NotFound()
    stem = Path(job.file_name).stem or "import"
    return f"{stem}-report.xlsx", Path(job.report_path).read_bytes()
