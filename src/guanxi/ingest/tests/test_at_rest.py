"""What an import keeps holds no personal value in clear (issue 13 item 8):
the job record (report with its errors and kept-value notices, headers,
mapping) and the file of left-out rows, scanned for canary values; notes of
imported interactions are encrypted in the database."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from guanxi.access.choices import Role
from guanxi.customers.models import Interaction
from guanxi.ingest.choices import JobStatus
from guanxi.ingest.models import ImportJob

pytestmark = pytest.mark.django_db

NAME = "金丝雀甲"
PHONE = "13912345678"
EMAIL = "canary.alpha@example.org"
ADDRESS = "金丝雀路88号"
BIRTHDAY = "1991-07-19"
NOTE = "金丝雀备注：她说住在金丝雀路"
CANARIES = [NAME, PHONE, EMAIL, "canary.alpha", ADDRESS, BIRTHDAY, NOTE]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _through_wizard(client: Any, kind: str, name: str, content: bytes) -> ImportJob:
    response = client.post(
        reverse("ingest:upload"),
        {
            "kind": kind,
            "preset": "generic",
            "source": "",
            "file": SimpleUploadedFile(name, content),
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    job = ImportJob.objects.latest("pk")
    assert client.get(reverse("ingest:job-preview", args=[job.pk])).status_code == 200
    return job


def _stored_job_rows() -> str:
    """Every column of every import job as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ImportJob._meta.db_table}")
        return json.dumps(cursor.fetchall(), default=str, ensure_ascii=False)


def test_the_job_record_and_the_left_out_rows_hold_no_canary(
    client: Any,
    make_user: Any,
    make_customer: Any,
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(make_user(Role.ADMIN))
    # A recorded customer whose values the file contradicts: kept-value notices.
    make_customer(
        name="旧名字", phone="+8613700001111", email="old@example.org", address="旧址"
    )
    content = _csv(
        [
            ["name", "phone", "email", "address", "birthday"],
            ["金丝雀乙", "13700001111", "old@example.org", ADDRESS, BIRTHDAY],
            [NAME, PHONE, EMAIL, ADDRESS, "1991-02-30"],  # a bad birthday
            [NAME, "12", EMAIL, ADDRESS, BIRTHDAY],  # a bad phone
        ]
    )
    job = _through_wizard(client, "customers", "canary.csv", content)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("ingest:job-confirm", args=[job.pk]), {"mode": "good_rows"})
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.report["left_out_rows"] == 2
    assert job.report["notices_total"] >= 1  # the kept name and address
    assert job.rejects

    stored = _stored_job_rows()
    rejects = Path(settings.MEDIA_ROOT, str(job.rejects.name)).read_bytes()
    for canary in [*CANARIES, "金丝雀乙"]:
        assert canary not in stored
        assert canary.encode() not in rejects
    # Its owner still downloads the rows in clear.
    download = client.get(reverse("ingest:job-rejects", args=[job.pk]))
    assert download.status_code == 200
    assert PHONE in download.content.decode("utf-8-sig")
    assert "1991-02-30" in download.content.decode("utf-8-sig")


def test_imported_interaction_notes_are_encrypted(
    client: Any,
    make_user: Any,
    make_customer: Any,
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(make_user(Role.ADMIN))
    person = make_customer(name=NAME, phone=f"+86{PHONE}")
    content = _csv(
        [
            ["id", "kind", "occurred_at", "note", "phone"],
            ["i-1", "complaint", "2024-03-01 10:00", NOTE, PHONE],
            ["i-2", "visit", "2024-03-02 10:00", "", PHONE],
        ]
    )
    job = _through_wizard(client, "interactions", "talks.csv", content)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("ingest:job-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.report

    notes = dict(
        Interaction.objects.filter(customer=person).values_list("external_id", "note")
    )
    assert notes == {"i-1": NOTE, "i-2": ""}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT external_id, note FROM customers_interaction ORDER BY external_id"
        )
        raw = dict(cursor.fetchall())
    assert raw["i-1"].startswith("v1:") and NOTE not in raw["i-1"]
    assert raw["i-2"] is None
    assert NOTE not in _stored_job_rows()
