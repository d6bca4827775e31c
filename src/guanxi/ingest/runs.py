"""Running a confirmed import job of the web wizard (in the task worker)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from guanxi.ingest.atrest import upload_open
from guanxi.ingest.choices import ImportMode, JobFailure, JobStatus
from guanxi.ingest.errors import ImportRejected, RowError
from guanxi.ingest.leases import import_job_files_delete
from guanxi.ingest.models import ImportJob
from guanxi.ingest.pipeline import ImportRefused, import_run
from guanxi.ingest.readers import Table, open_table
from guanxi.ingest.rejects import rejects_format, rejects_seal, rejects_write
from guanxi.ingest.report import ImportReport

__all__ = ["import_job_run", "job_table", "progress_path"]


def job_table(job: ImportJob) -> Table:
    """The job's uploaded file, opened for reading (decrypted as it is read;
    ImportRejected for a damaged or changed file)."""
    return open_table(upload_open(job), filename=job.original_name)


def progress_path(job: ImportJob) -> Path:
    """Rows processed so far are kept in a small file beside the uploads: the
    import runs in one transaction, so a progress column would stay invisible
    until it commits."""
    return Path(settings.MEDIA_ROOT) / "imports" / f"job-{job.pk}.progress"


#: An import of the good rows only reads the file again without the bad rows;
#: leaving rows out can uncover a problem only the whole file hid (rarely), so
#: it tries this many times before it gives up and writes nothing.
GOOD_ROWS_PASSES = 3
#: More bad rows than this and the file is rejected as a whole: a list of bad
#: rows is held in memory, and such a file wants fixing at its source.
GOOD_ROWS_MAX_BAD = 100_000


def _run(
    job: ImportJob,
    progress: Callable[[int], None],
    *,
    skip: dict[int, list[str]] | None = None,
    collect: bool = False,
) -> ImportReport:
    table = job_table(job)
    try:
        return import_run(
            kind=job.kind,
            table=table,
            preset=job.preset,
            mapping=job.mapping,
            source=job.source,
            progress=progress,
            skip_lines=skip or (),
            collect_bad_lines=collect,
        )
    finally:
        table.close()
        job.file.close()


def _good_rows(
    job: ImportJob, first: ImportReport, progress: Callable[[int], None]
) -> tuple[ImportReport, bytes | None, int]:
    """Import the rows of ``job`` that had no problem in ``first`` (a rejected
    run). The report of the import, the bad rows as a file and how many they
    are; or ``first`` and None when the good rows cannot be imported either."""
    bad = dict(first.bad_lines or {})
    for _attempt in range(GOOD_ROWS_PASSES):
        if len(bad) > GOOD_ROWS_MAX_BAD:
            return first, None, 0
        again = _run(job, progress, skip=bad, collect=True)
        if again.ok:
            break
        for line, problems in (again.bad_lines or {}).items():
            bad.setdefault(line, []).extend(problems)
    else:
        return first, None, 0
    table = job_table(job)
    try:
        content = rejects_write(table, bad, fmt=rejects_format(job.original_name))
    finally:
        table.close()
        job.file.close()
    return again, content, len(bad)


def import_job_run(*, job_id: int) -> None:
    """Run a queued job; a job that is not queued (already run, running) is left
    alone, so running the task twice is harmless."""
    claimed = ImportJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        heartbeat_at=timezone.now(),  # the lease's claim (guanxi.ingest.leases)
    )
    if not claimed:
        return
    job = ImportJob.objects.get(pk=job_id)
    progress_file = progress_path(job)
    progress_file.parent.mkdir(parents=True, exist_ok=True)
    done = 0

    def progress(rows: int) -> None:
        nonlocal done
        done += rows
        progress_file.write_text(str(done))

    good_rows = job.mode == ImportMode.GOOD_ROWS
    rejects: bytes | None = None
    first: ImportReport | None = None
    left_out = 0
    try:
        report = _run(job, progress, collect=good_rows)
        if good_rows and not report.ok:
            first = report
            done = 0  # the second pass counts the rows again
            report, rejects, left_out = _good_rows(job, first, progress)
    except ImportRejected as exc:
        report = ImportReport.for_refused_file(kind=job.kind, errors=exc.errors)
    except ImportRefused as exc:
        report = ImportReport(kind=job.kind)
        report.add_error(RowError(line=0, column="", value="", message=exc.message))
        report.settle()
    except Exception:
        ImportJob.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED,
            failure=JobFailure.ERROR,
            finished_at=timezone.now(),
        )
        import_job_files_delete(job)  # the job has ended: its upload goes
        raise
    job.report = report.as_record()
    if rejects is not None and first is not None:
        # What was left out: the first run's problems, every bad line counted.
        job.report.update(
            errors=[e.as_dict() for e in first.errors],
            errors_total=first.errors_total,
            errors_not_shown=first.errors_not_shown,
            left_out_rows=left_out,
        )
        name = f"job-{job.pk}-rejected.{rejects_format(job.original_name)}"
        # The left-out rows hold personal values: encrypted at rest, opened
        # when their owner downloads them (views.job_rejects).
        job.rejects.save(name, ContentFile(rejects_seal(rejects)), save=False)
    job.processed_rows = report.rows
    job.status = JobStatus.DONE if report.ok else JobStatus.REJECTED
    job.finished_at = timezone.now()
    job.save(
        update_fields=["report", "processed_rows", "status", "finished_at", "rejects"]
    )
    progress_file.unlink(missing_ok=True)
    # The job has ended (imported or rejected), so the uploaded copy of personal
    # data goes; a rejected file is fixed and uploaded again.
    import_job_files_delete(job)
