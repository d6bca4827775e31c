"""Running a confirmed import job of the web wizard (in the task worker)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils import timezone

from guanxi.ingest.choices import JobFailure, JobStatus
from guanxi.ingest.errors import ImportRejected, RowError
from guanxi.ingest.leases import import_job_files_delete
from guanxi.ingest.models import ImportJob
from guanxi.ingest.pipeline import ImportRefused, import_run
from guanxi.ingest.readers import Table, open_table
from guanxi.ingest.report import ImportReport

__all__ = ["import_job_run", "job_table", "progress_path"]


def job_table(job: ImportJob) -> Table:
    """The job's uploaded file, opened for reading."""
    job.file.open("rb")
    return open_table(job.file.file, filename=job.original_name)


def progress_path(job: ImportJob) -> Path:
    """Rows processed so far are kept in a small file beside the uploads: the
    import runs in one transaction, so a progress column would stay invisible
    until it commits."""
    return Path(settings.MEDIA_ROOT) / "imports" / f"job-{job.pk}.progress"


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

    try:
        table = job_table(job)
        try:
            report = import_run(
                kind=job.kind,
                table=table,
                preset=job.preset,
                mapping=job.mapping,
                source=job.source,
                progress=progress,
            )
        finally:
            table.close()
            job.file.close()
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
    job.processed_rows = report.rows
    job.status = JobStatus.DONE if report.ok else JobStatus.REJECTED
    job.finished_at = timezone.now()
    job.save(update_fields=["report", "processed_rows", "status", "finished_at"])
    progress_file.unlink(missing_ok=True)
    # The job has ended (imported or rejected), so the uploaded copy of personal
    # data goes; a rejected file is fixed and uploaded again.
    import_job_files_delete(job)
