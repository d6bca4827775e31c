"""Background work for imports: thin entry points into the services."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from guanxi.ingest.runs import import_job_run


@db_task()  # type: ignore[untyped-decorator]
def import_job_run_task(job_id: int) -> None:
    """Run a confirmed import job; safe to run twice (the job is claimed once)."""
    import_job_run(job_id=job_id)
