"""The web wizard: upload → mapping → preview (a dry run) → confirm (a task).

Each step checks that the actor's role may import. The import itself runs in
the task worker (:mod:`guanxi.ingest.runs`).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.ingest.atrest import upload_sealed
from guanxi.ingest.choices import ImportMode, JobStatus
from guanxi.ingest.errors import ImportRejected
from guanxi.ingest.mapping import (
    Columns,
    import_preset_save,
    preset_get,
    resolve_mapping,
)
from guanxi.ingest.models import RUNNABLE_JOBS, ImportJob
from guanxi.ingest.pipeline import import_run
from guanxi.ingest.presets import PERSONAL_FIELDS, Mapping
from guanxi.ingest.report import ImportReport
from guanxi.ingest.runs import job_table, progress_path
from guanxi.ingest.tasks import import_job_run_task

__all__ = [
    "import_actor_check",
    "import_job_columns",
    "import_job_confirm",
    "import_job_create",
    "import_job_map",
    "import_job_preview",
    "import_job_progress",
    "import_job_samples",
]


def import_actor_check(user: Any) -> None:
    """Only roles whose policy may import."""
    if not policy_for(user).may_import:
        raise PermissionDenied(_("your role may not import data"))


def import_job_create(
    *, actor: Any, kind: str, upload: Any, preset: str, source: str = ""
) -> ImportJob:
    """Store an upload and read its header row. Raises ImportRejected for a file
    that cannot be read (encoding, not a workbook, empty)."""
    import_actor_check(actor)
    chosen = preset_get(name=preset, kind=kind)
    job = ImportJob(
        kind=kind,
        original_name=str(upload.name)[:255],
        preset=chosen.name,
        source=(source or chosen.source).strip(),
        created_by=actor,
    )
    # Sealed on the way to disk (guanxi.ingest.atrest).
    job.file.save(upload.name, upload_sealed(upload), save=False)
    try:
        table = job_table(job)
    except BaseException:
        job.file.delete(save=False)
        raise
    try:
        job.headers = list(table.headers)
        job.total_rows = table.total or 0
    finally:
        table.close()
        job.file.close()
    job.save()
    return job


def import_job_columns(
    *, job: ImportJob, mapping: Mapping | None = None, check: bool = True
) -> Columns:
    """The columns the job would use (its own mapping unless one is given)."""
    return resolve_mapping(
        kind=job.kind,
        headers=job.headers,
        preset=preset_get(name=job.preset, kind=job.kind),
        mapping=job.mapping if mapping is None else mapping,
        check=check,
    )


@transaction.atomic
def import_job_map(
    *, actor: Any, job: ImportJob, mapping: Mapping, save_as: str = ""
) -> ImportJob:
    """Set the job's column mapping (validated against its headers)."""
    import_actor_check(actor)
    import_job_columns(job=job, mapping=mapping)
    job.mapping = mapping
    job.report = {}
    job.save(update_fields=["mapping", "report"])
    if save_as.strip():
        columns = import_job_columns(job=job)
        import_preset_save(
            name=save_as,
            kind=job.kind,
            mapping={
                name: [h for _i, h in spots] for name, spots in columns.where.items()
            },
            source=job.source,
        )
    return job


def import_job_preview(*, actor: Any, job: ImportJob) -> ImportReport:
    """A dry run of the job: what would be created, and every problem. Its
    notices compare personal values with the recorded ones only for a viewer
    who sees them in full (operations see them masked: a dry run must not
    tell them whether a guessed birthday is right)."""
    import_actor_check(actor)
    table = None
    try:
        table = job_table(job)
        report = import_run(
            kind=job.kind,
            table=table,
            preset=job.preset,
            mapping=job.mapping,
            source=job.source,
            dry_run=True,
            personal_notices=policy_for(actor).sees_contact_data,
        )
    except ImportRejected as exc:
        report = ImportReport.for_refused_file(
            kind=job.kind, dry_run=True, errors=exc.errors
        )
    finally:
        if table is not None:
            table.close()
        job.file.close()
    job.report = report.as_record()
    job.save(update_fields=["report"])
    return report


def import_job_confirm(
    *, actor: Any, job: ImportJob, mode: str = ImportMode.ALL_OR_NOTHING
) -> ImportJob:
    """Queue the import (after commit) in ``mode``: all rows or none (the
    default), or the good rows only, the bad ones given back as a file. A job
    is queued once; confirming again changes nothing."""
    import_actor_check(actor)
    try:
        chosen = ImportMode(mode or ImportMode.ALL_OR_NOTHING)
    except ValueError:
        raise ValidationFailed(
            _("choose how to import: all or nothing, or the good rows only")
        ) from None
    with transaction.atomic():
        claimed = (
            ImportJob.objects.filter(RUNNABLE_JOBS, pk=job.pk)
            # A job failed by a dead worker may run again (guanxi.ingest.leases).
            .update(status=JobStatus.QUEUED, processed_rows=0, failure="", mode=chosen)
        )
        if claimed:
            transaction.on_commit(lambda: import_job_run_task(job.pk))
    job.refresh_from_db()
    return job


#: How many rows the column mapping reads for its sample values.
SAMPLE_ROWS = 50


def import_job_samples(
    *, actor: Any, job: ImportJob, per_column: int = 3
) -> dict[str, list[str]]:
    """Up to ``per_column`` different values of each column from the first rows
    of the upload, shown beside the column mapping. Roles that see contact data
    masked see masked samples of every column but those mapped to a field that
    holds no personal data (an unmapped column may hold anything)."""
    import_actor_check(actor)
    clear: set[str] = set()
    if not policy_for(actor).sees_contact_data:
        columns = import_job_columns(job=job, check=False)
        clear = {
            header
            for name, spots in columns.where.items()
            if name not in PERSONAL_FIELDS
            for _i, header in spots
        }
    masked = not policy_for(actor).sees_contact_data
    samples: dict[str, list[str]] = {h: [] for h in job.headers if h}
    if not job.file:
        return samples
    try:
        table = job_table(job)
    except ImportRejected:
        job.file.close()
        return samples  # a damaged upload is the preview's business
    try:
        for read, (_line, cells) in enumerate(table.rows):
            if read >= SAMPLE_ROWS:
                break
            for header, cell in zip(job.headers, cells, strict=False):
                text = "" if cell is None else str(cell).strip()
                column = samples.get(header)
                if column is None or not text or len(column) >= per_column:
                    continue
                text = _masked(text) if masked and header not in clear else text[:40]
                if text not in column:
                    column.append(text)
    except ImportRejected:
        pass  # a bad row further on is the preview's business
    finally:
        table.close()
        job.file.close()
    return samples


def _masked(text: str) -> str:
    return text[0] + "＊" * min(len(text) - 1, 4)


def import_job_progress(*, job: ImportJob) -> int:
    """Rows processed so far (see :func:`guanxi.ingest.runs.progress_path`)."""
    try:
        return int(progress_path(job).read_text() or 0)
    except (OSError, ValueError):
        return job.processed_rows if job.processed_rows else 0
