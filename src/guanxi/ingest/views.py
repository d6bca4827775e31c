"""The import wizard: upload → column mapping → preview of every problem → confirm.

Only roles whose policy may import reach these pages; everyone else gets 404,
as if imports did not exist.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from guanxi.access.policies import policy_for
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.ingest.choices import JobStatus
from guanxi.ingest.errors import ImportRejected
from guanxi.ingest.forms import MappingForm, UploadForm
from guanxi.ingest.leases import import_job_lease_check
from guanxi.ingest.rejects import rejects_format, rejects_read
from guanxi.ingest.selectors import (
    import_job_get,
    import_job_list,
    import_preset_choices,
)
from guanxi.ingest.services import (
    import_job_columns,
    import_job_confirm,
    import_job_create,
    import_job_map,
    import_job_preview,
    import_job_progress,
    import_job_samples,
)
from guanxi.ingest.uploads import upload_too_large_message

View = Callable[..., HttpResponse]

REJECTS_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _problems(
    problems: list[Any], *, total: int | None = None, not_shown: int = 0
) -> dict[str, Any]:
    """What ``ingest/partials/problems.html`` lists: the problems the report
    kept (the first ones, :class:`~guanxi.ingest.report.Problems`), how many
    there were, and how many are not listed."""
    return {
        "problems": problems,
        "problems_total": len(problems) if total is None else total,
        "problems_not_shown": not_shown,
    }


def importers_only(view: View) -> View:
    """Logged in, and a role that may import; NotFound becomes a 404."""

    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not policy_for(request.user).may_import:
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None

    return wrapped


@importers_only
def upload(request: HttpRequest) -> HttpResponse:
    presets = import_preset_choices()
    form = UploadForm(request.POST or None, request.FILES or None, presets=presets)
    problems: list[Any] = []
    too_large = getattr(request, "upload_too_large", False)
    if too_large:
        form.is_valid()
        form.errors["file"] = form.error_class([upload_too_large_message()])
    elif request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                preset=form.cleaned_data["preset"],
                source=form.cleaned_data["source"],
            )
        except ImportRejected as exc:
            problems = exc.errors
        except ValidationFailed as exc:
            form.add_error("preset", exc.message)
        else:
            return redirect("ingest:job-mapping", pk=job.pk)
    jobs = import_job_list(actor=request.user)[:10]
    return render(
        request,
        "ingest/upload.html",
        {"form": form, "jobs": jobs, **_problems(problems)},
        status=413 if too_large else 400 if problems else 200,
    )


@importers_only
def job_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = import_job_get(actor=request.user, pk=pk)
    columns = import_job_columns(job=job, check=False)
    initial = {name: spots[0][1] for name, spots in columns.where.items()}
    form = MappingForm(
        request.POST or None,
        kind=job.kind,
        headers=job.headers,
        initial_mapping=initial,
    )
    problems: list[Any] = []
    samples = import_job_samples(actor=request.user, job=job)
    if request.method == "POST" and form.is_valid():
        changes = {
            name: header
            for name, header in form.chosen().items()
            if header != initial.get(name, "")
        }
        try:
            import_job_map(
                actor=request.user,
                job=job,
                mapping={**job.mapping, **changes},
                save_as=form.cleaned_data["save_as"],
            )
        except ImportRejected as exc:
            problems = exc.errors
        except ValidationFailed as exc:
            form.add_error("save_as", exc.message)
        else:
            return redirect("ingest:job-preview", pk=job.pk)
    return render(
        request,
        "ingest/mapping.html",
        {"job": job, "form": form, "samples": samples, **_problems(problems)},
        status=400 if problems else 200,
    )


@importers_only
def job_preview(request: HttpRequest, pk: int) -> HttpResponse:
    job = import_job_get(actor=request.user, pk=pk)
    if not job.may_run:
        return redirect("ingest:job-detail", pk=job.pk)
    report = import_job_preview(actor=request.user, job=job)
    return render(
        request,
        "ingest/preview.html",
        {
            "job": job,
            "report": report,
            "counts": report.as_record(),
            # What an import of the good rows only would import.
            "good_rows": report.rows - report.rejected_rows,
            "errors": report.errors,
            "notices": report.notices,
            "notices_not_shown": report.notices_not_shown,
            **_problems(
                report.errors,
                total=report.errors_total,
                not_shown=report.errors_not_shown,
            ),
        },
    )


@importers_only
@require_POST
def job_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = import_job_get(actor=request.user, pk=pk)
    try:
        import_job_confirm(
            actor=request.user, job=job, mode=request.POST.get("mode", "")
        )
    except ValidationFailed as exc:
        context = {"message": exc.message, "status": 400}
        return render(request, "web/error.html", context, status=400)
    return redirect("ingest:job-detail", pk=job.pk)


@importers_only
def job_rejects(request: HttpRequest, pk: int) -> HttpResponse:
    """The rows a good-rows import left out, each with its problems."""
    job = import_job_get(actor=request.user, pk=pk)
    if not job.rejects:
        raise Http404
    with job.rejects.open("rb") as stored:
        content = rejects_read(stored.read())
    kind = rejects_format(job.original_name)
    name = f"{PurePath(job.original_name).stem or 'import'}-rejected.{kind}"
    response = HttpResponse(content, content_type=REJECTS_TYPES[kind])
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def _job_context(job: Any) -> dict[str, Any]:
    processed = (
        import_job_progress(job=job)
        if job.status in {JobStatus.QUEUED, JobStatus.RUNNING}
        else job.processed_rows
    )
    counts = job.report or {}
    total = job.total_rows or 0
    percent = 100 if job.status == JobStatus.DONE else 0
    if total and job.status != JobStatus.DONE:
        percent = min(100, round(100 * processed / total))
    return {
        "job": job,
        "processed": processed,
        "percent": percent,
        "finished": job.status
        in {JobStatus.DONE, JobStatus.REJECTED, JobStatus.FAILED},
        "counts": counts,
        # A job recorded before problems were counted has no errors_total.
        **_problems(
            counts.get("errors", []),
            total=counts.get("errors_total"),
            not_shown=counts.get("errors_not_shown", 0),
        ),
    }


@importers_only
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = import_job_lease_check(job=import_job_get(actor=request.user, pk=pk))
    return render(request, "ingest/job.html", _job_context(job))


@importers_only
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress panel alone, polled by htmx every second while the job runs."""
    job = import_job_lease_check(job=import_job_get(actor=request.user, pk=pk))
    return render(request, "ingest/partials/progress.html", _job_context(job))
