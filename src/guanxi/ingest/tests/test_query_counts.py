"""Pinned query counts of the import wizard's pages (as the other apps pin
theirs): the upload page lists the latest jobs with who started each, and a job's
page and its progress panel read the job once, however many jobs there are."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from guanxi.access.choices import Role
from guanxi.ingest.choices import JobStatus
from guanxi.ingest.models import ImportJob


@pytest.fixture
def jobs(make_user: Any) -> list[ImportJob]:
    """Twelve finished jobs, started by three different people."""
    people = [make_user(Role.OPERATIONS) for _ in range(3)]
    return [
        ImportJob.objects.create(
            kind="orders",
            status=JobStatus.DONE,
            original_name=f"orders-{i}.csv",
            total_rows=10,
            processed_rows=10,
            report={"created": 10, "updated": 0, "unchanged": 0, "rejected_rows": 0},
            created_by=people[i % 3],
        )
        for i in range(12)
    ]


@pytest.fixture
def importer(client: Any, make_user: Any) -> Any:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(make_user(Role.OPERATIONS))
    return client


def test_upload_page_lists_the_latest_jobs_in_one_query(
    importer: Any, jobs: list[ImportJob], django_assert_num_queries: Any
) -> None:
    # session, user, role + saved presets, the ten latest jobs with their starters
    with django_assert_num_queries(5):
        html = importer.get(reverse("ingest:upload")).content.decode()
    for job in jobs[-10:]:
        assert job.original_name in html
    assert jobs[0].original_name not in html


@pytest.mark.parametrize("page", ["ingest:job-detail", "ingest:job-progress"])
def test_job_pages_read_the_job_once(
    page: str,
    importer: Any,
    jobs: list[ImportJob],
    django_assert_num_queries: Any,
) -> None:
    # session, user, role + the job
    with django_assert_num_queries(4):
        response = importer.get(reverse(page, args=[jobs[3].pk]))
    assert response.status_code == 200
