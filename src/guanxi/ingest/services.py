"""Imports of customers, orders and interactions: all rows or none.

The ingest app's face for other apps and for its own edges (the CLI command,
the wizard's views). The import runs as a pipeline of stages, one module each
(see :mod:`guanxi.ingest.pipeline`): read → map → parse → match → write →
report.

Merge rule (the same person twice in a file or across files): a row belongs to
an existing customer when its source identity (source + customer id), its
phone number or its email address (compared through the blind indexes) is
already known. Its values then only **fill blanks**; a non-empty recorded value
is never overwritten: the difference is reported as a notice and the recorded
value kept. A customer counts as ``updated`` only when something was filled in.
If a row's keys point at two different customers, the row is rejected.
Orders: an order already recorded (same source + order id) may change its
status (refunds arrive in later exports); other differences are notices.
"""

from __future__ import annotations

from guanxi.ingest.jobs import (
    import_actor_check,
    import_job_columns,
    import_job_confirm,
    import_job_create,
    import_job_map,
    import_job_preview,
    import_job_progress,
    import_job_samples,
)
from guanxi.ingest.leases import import_jobs_sweep, import_uploads_purge
from guanxi.ingest.mapping import (
    Columns,
    import_preset_save,
    preset_get,
    resolve_mapping,
)
from guanxi.ingest.pipeline import ImportRefused, import_run
from guanxi.ingest.readers import table_read
from guanxi.ingest.report import ImportReport
from guanxi.ingest.rowids import generated_id_keys
from guanxi.ingest.runs import import_job_run

__all__ = [
    "Columns",
    "ImportRefused",
    "ImportReport",
    "generated_id_keys",
    "import_actor_check",
    "import_job_columns",
    "import_job_confirm",
    "import_job_create",
    "import_job_map",
    "import_job_preview",
    "import_job_progress",
    "import_job_run",
    "import_job_samples",
    "import_jobs_sweep",
    "import_preset_save",
    "import_run",
    "import_uploads_purge",
    "preset_get",
    "resolve_mapping",
    "table_read",
]
