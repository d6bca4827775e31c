"""Background work for customers: thin entry points into the services."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from guanxi.customers.bulk_runs import bulk_action_run


@db_task()  # type: ignore[untyped-decorator]
def bulk_action_run_task(action_id: int) -> None:
    """Run a confirmed bulk action; safe to run twice (it is claimed once)."""
    bulk_action_run(action_id=action_id)
