"""Who may reach the import wizard (see tests/access.py).

Only roles whose policy may import (admin, operations) reach it; everyone else
gets 404 as if imports did not exist, and logged-out visitors go to the login
page. Import jobs are shared work: every importing role sees every job, so the
"own" job (made by admin) and the "foreign" one (made by operations) answer alike.
"""

from __future__ import annotations

from typing import Any

from tests.access import AccessCase, World, expect

IMPORTERS = expect(404, anonymous=302, admin=200, operations=200)
IMPORTERS_REDIRECT = expect(404, anonymous=302, admin=302, operations=302)

CSV = "手机号,姓名\n13800138000,王芳\n".encode()


def _jobs(world: World) -> None:
    from django.core.files.base import ContentFile

    from guanxi.ingest.models import ImportJob

    for label, username in (("own", "admin"), ("foreign", "operations")):
        job = ImportJob(
            kind="customers",
            original_name=f"{label}.csv",
            headers=["手机号", "姓名"],
            total_rows=1,
            created_by=world.users[username],
        )
        job.file.save(f"{label}.csv", ContentFile(CSV), save=False)
        job.save()
        world.extra[label] = job


def _jobs_with_rejects(world: World) -> None:
    """Jobs that imported their good rows and kept the bad ones as a file."""
    from django.core.files.base import ContentFile

    _jobs(world)
    for label in ("own", "foreign"):
        job = world.extra[label]
        job.status = "done"
        job.rejects.save(f"job-{job.pk}-rejected.csv", ContentFile(CSV), save=True)


def _job(label: str) -> Any:
    return lambda w: [w.extra[label].pk]


CASES = [
    AccessCase("ingest:upload", IMPORTERS),
    AccessCase(
        "ingest:upload",
        expect(404, anonymous=302, admin=200, operations=200),
        method="POST",
        data=lambda w: {"kind": "customers"},
        label="invalid form",
    ),
]
for _label in ("own", "foreign"):
    CASES += [
        AccessCase(
            "ingest:job-detail", IMPORTERS, args=_job(_label), label=_label, setup=_jobs
        ),
        AccessCase(
            "ingest:job-mapping",
            IMPORTERS,
            args=_job(_label),
            label=_label,
            setup=_jobs,
        ),
        AccessCase(
            "ingest:job-preview",
            IMPORTERS,
            args=_job(_label),
            label=_label,
            setup=_jobs,
        ),
        AccessCase(
            "ingest:job-progress",
            IMPORTERS,
            args=_job(_label),
            label=_label,
            setup=_jobs,
        ),
        AccessCase(
            "ingest:job-rejects",
            IMPORTERS,
            args=_job(_label),
            label=_label,
            setup=_jobs_with_rejects,
        ),
        AccessCase(
            "ingest:job-confirm",
            IMPORTERS_REDIRECT,
            method="POST",
            args=_job(_label),
            label=_label,
            setup=_jobs,
        ),
    ]
