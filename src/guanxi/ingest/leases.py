"""Import jobs' lease and files: a job whose worker died is failed, not left
"running" forever, and an uploaded file lives no longer than its job needs it.

**Lease.** A worker claims a job by setting it running with ``heartbeat_at``
(committed before the import's own transaction starts); while the import runs,
a heartbeat file beside the uploads is touched every few seconds
(:class:`guanxi.core.leases.Heartbeat`: a database write would wait behind the
import's write lock on SQLite). A running job whose last sign of life — the
later of the two — is older than ``GUANXI_JOB_LEASE_SECONDS`` has lost its
worker: it is marked failed (``worker_lost``) when someone looks at it and by
the periodic sweep, keeps its file and may be run again from the wizard. The
import is all-or-nothing, so a dead worker wrote nothing. Workers on several
machines share the uploads folder already (they read the uploaded file there),
so they share the heartbeat files too.

**Files at rest.** The upload is deleted when the job ends — done, rejected or
failed by an error (:func:`import_job_files_delete`) — and kept only while the
job may still run (uploaded, or cut short by a dead worker), for at most
``UPLOAD_KEEP``. :func:`import_uploads_purge` (at ``guanxi start`` and hourly)
deletes whatever outlived that: files of ended jobs, files no job refers to,
stale progress and heartbeat files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection
from django.utils import timezone

from guanxi.core.leases import Heartbeat, seconds_since_beat
from guanxi.ingest.choices import JobFailure, JobStatus
from guanxi.ingest.models import ImportJob

__all__ = [
    "UPLOAD_KEEP",
    "import_job_files_delete",
    "import_job_heartbeat",
    "import_job_lease_check",
    "import_job_lease_expired",
    "import_jobs_sweep",
    "import_uploads_purge",
]

DEFAULT_LEASE_SECONDS = 60.0
LONGEST_BEAT_SECONDS = 5.0
UPLOAD_KEEP = dt.timedelta(hours=24)
# A file younger than this with no job may be an upload whose job row is being
# written right now; older ones are leftovers.
ORPHAN_AFTER = dt.timedelta(hours=1)
ENDED = (JobStatus.DONE, JobStatus.REJECTED, JobStatus.FAILED)


def lease_seconds() -> float:
    return float(getattr(settings, "GUANXI_JOB_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def _imports_folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _heartbeat_path(pk: int) -> Path:
    return _imports_folder() / f"job-{pk}.alive"


@contextlib.contextmanager
def import_job_heartbeat(job_id: int) -> Iterator[None]:
    """Beat for the job while the block runs the import (the task wraps
    ``import_job_run`` in it). Afterwards the file goes, unless the job is still
    running: then this was a second run of the task, which found the job
    claimed, and the worker running it keeps beating in the same file."""
    path = _heartbeat_path(job_id)
    every = min(LONGEST_BEAT_SECONDS, lease_seconds() / 6)
    try:
        with Heartbeat(path, every=every):
            yield
    finally:
        if not ImportJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).exists():
            path.unlink(missing_ok=True)


def import_job_lease_expired(job: ImportJob, *, now: float | None = None) -> bool:
    """Running, and no sign of life from its worker within the lease."""
    if job.status != JobStatus.RUNNING:
        return False
    now = time.time() if now is None else now
    ages = [seconds_since_beat(_heartbeat_path(job.pk), now=now)]
    if job.heartbeat_at is not None:
        ages.append(now - job.heartbeat_at.timestamp())
    known = [age for age in ages if age is not None]
    return not known or min(known) > lease_seconds()


@contextlib.contextmanager
def _short_wait() -> Iterator[None]:
    """On SQLite, wait at most 2 s for the write lock (not the usual 30 s): another
    import may hold it for minutes, and a page must not hang on it; the sweep
    comes back later."""
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 2000")
    try:
        yield
    finally:
        if sqlite:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {int(1000 * _sqlite_timeout())}")


def _sqlite_timeout() -> float:
    options = settings.DATABASES["default"].get("OPTIONS", {})
    return float(options.get("timeout", 5))


def import_job_lease_check(*, job: ImportJob) -> ImportJob:
    """Mark the job failed if its lease expired (its worker died); returns it."""
    if not import_job_lease_expired(job):
        return job
    now = timezone.now()
    try:
        with _short_wait():
            # Only if nobody claimed it again since we read it.
            ImportJob.objects.filter(
                pk=job.pk, status=JobStatus.RUNNING, heartbeat_at=job.heartbeat_at
            ).update(
                status=JobStatus.FAILED,
                failure=JobFailure.WORKER_LOST,
                finished_at=now,
            )
    except OperationalError:  # the database is busy: shown failed, saved later
        job.status, job.failure, job.finished_at = (
            JobStatus.FAILED,
            JobFailure.WORKER_LOST,
            now,
        )
        return job
    _job_side_files_delete(job.pk)
    job.refresh_from_db()
    return job


def import_jobs_sweep() -> int:
    """Fail every running job whose worker died; how many were failed."""
    failed = 0
    for job in ImportJob.objects.filter(status=JobStatus.RUNNING):
        if import_job_lease_check(job=job).status == JobStatus.FAILED:
            failed += 1
    return failed


def _job_side_files_delete(pk: int) -> int:
    """The job's progress and heartbeat files (``job-<pk>.*`` beside the uploads)."""
    deleted = 0
    for path in _imports_folder().glob(f"job-{pk}.*"):
        path.unlink(missing_ok=True)
        deleted += 1
    return deleted


def import_job_files_delete(job: Any) -> int:
    """Delete the job's upload and side files (call when the job has ended);
    how many files were deleted."""
    deleted = 0
    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
        deleted += 1
    return deleted + _job_side_files_delete(job.pk)


def import_uploads_purge(*, now: dt.datetime | None = None) -> int:
    """Delete uploads nothing needs any more; how many files were deleted."""
    now = timezone.now() if now is None else now
    deleted = 0
    for job in ImportJob.objects.filter(status__in=ENDED).exclude(file=""):
        if job.status == JobStatus.FAILED and job.failure == JobFailure.WORKER_LOST:
            if (job.finished_at or job.created_at) > now - UPLOAD_KEEP:
                continue  # may still be run again
            deleted += _abandon(job, now)
        else:
            deleted += import_job_files_delete(job)
    for job in ImportJob.objects.filter(
        status=JobStatus.UPLOADED, created_at__lt=now - UPLOAD_KEEP
    ):
        deleted += _abandon(job, now)

    # The rows a good-rows import left out are kept a day for their download.
    for job in ImportJob.objects.exclude(rejects="").filter(
        finished_at__lt=now - UPLOAD_KEEP
    ):
        job.rejects.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(rejects="")
        deleted += 1

    folder = _imports_folder()
    if not folder.is_dir():
        return deleted
    kept = set(ImportJob.objects.exclude(file="").values_list("file", flat=True))
    kept |= set(ImportJob.objects.exclude(rejects="").values_list("rejects", flat=True))
    busy = set(
        ImportJob.objects.filter(
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
        ).values_list("pk", flat=True)
    )
    media = Path(settings.MEDIA_ROOT)
    young = (now - ORPHAN_AFTER).timestamp()
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.parent == folder and path.name.startswith("job-"):
            pk = path.name[4:].split(".", 1)[0]
            if pk.isdigit() and int(pk) in busy:
                continue
        elif path.relative_to(media).as_posix() in kept:
            continue  # the upload of a job that may still run
        elif path.stat().st_mtime > young:
            continue  # perhaps an upload whose job is being saved right now
        path.unlink(missing_ok=True)
        deleted += 1
    return deleted


def _abandon(job: ImportJob, now: dt.datetime) -> int:
    deleted = import_job_files_delete(job)
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED,
        failure=JobFailure.ABANDONED,
        finished_at=job.finished_at or now,
    )
    return deleted
