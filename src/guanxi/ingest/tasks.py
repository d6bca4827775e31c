"""Background work for imports: thin entry points into the services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanxi.ingest.leases import (
    import_job_heartbeat,
    import_jobs_sweep,
    import_uploads_purge,
)
from guanxi.ingest.runs import import_job_run


@db_task()  # type: ignore[untyped-decorator]
def import_job_run_task(job_id: int) -> None:
    """Run a confirmed import job; safe to run twice (the job is claimed once).
    The heartbeat shows the job's lease alive while this worker runs it."""
    with import_job_heartbeat(job_id):
        import_job_run(job_id=job_id)


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def import_jobs_sweep_task() -> None:
    """Fail the running jobs whose worker died (their lease expired)."""
    import_jobs_sweep()


@db_periodic_task(crontab(minute="17"))  # type: ignore[untyped-decorator]
def import_uploads_purge_task() -> None:
    """Delete uploads nothing needs any more (also done at ``guanxi start``)."""
    import_uploads_purge()
