"""The import wizard's dry run is no oracle: a role that sees personal values
masked learns nothing from it about recorded ones (a dry run with two birthday
guesses told operations which was right)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.access.choices import Role
from guanxi.ingest.jobs import import_job_preview
from guanxi.ingest.models import ImportJob

pytestmark = pytest.mark.django_db

KEPT = "differs from the value already recorded; the recorded value was kept"


def _job(client: Any, text: str) -> ImportJob:
    response = client.post(
        reverse("ingest:upload"),
        {
            "kind": "customers",
            "preset": "generic",
            "source": "",
            "file": SimpleUploadedFile("people.csv", text.encode(), "text/csv"),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    return ImportJob.objects.latest("pk")


@pytest.mark.parametrize("guess", ["1990-05-17", "1991-01-01"])
def test_a_masked_roles_dry_run_does_not_compare_personal_values(
    client: Any, make_user: Any, make_customer: Any, guess: str
) -> None:
    make_customer(
        name="王芳",
        phone="+8613800138000",
        email="wang.fang@example.com",
        birthday=dt.date(1990, 5, 17),
        address="文三路 1 号",
        city="杭州",
    )
    admin = make_user(Role.ADMIN)
    operations = make_user(Role.OPERATIONS)
    client.force_login(admin)
    text = (
        "phone,name,email,birthday,address,city\n"
        f"13800138000,王小芳,other@example.com,{guess},别的路,上海\n"
    )
    job = _job(client, text)
    seen = import_job_preview(actor=operations, job=job)
    # Right guess or wrong: the same answer, and no personal value compared.
    columns = sorted(n.column for n in seen.notices)
    assert columns == ["city"]
    full = import_job_preview(actor=admin, job=job)
    expected = ["address", "city", "email", "name"]
    if guess != "1990-05-17":
        expected = ["address", "birthday", "city", "email", "name"]
    assert sorted(n.column for n in full.notices) == expected
    assert {n.message for n in full.notices} == {KEPT}


def test_the_preview_page_shows_a_masked_role_no_personal_notice(
    client: Any, make_user: Any, make_customer: Any
) -> None:
    make_customer(phone="+8613800138000", birthday=dt.date(1990, 5, 17))
    client.force_login(make_user(Role.OPERATIONS))
    job = _job(client, "phone,birthday\n13800138000,1991-01-01\n")
    html = client.get(
        reverse("ingest:job-preview", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Kept values" not in html
    assert "1991-01-01" not in html
