"""Import the good rows and give the bad ones back as a file (issue 14 item 9):
the bad rows in the upload's format with their problems, the good ones
imported; all-or-nothing stays the default; the history says what happened;
the column mapping names fields in words, marks the required ones and shows
values from the file."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.access.choices import Role
from guanxi.ingest.choices import JobStatus
from guanxi.ingest.models import ImportJob
from guanxi.ingest.tests.conftest import customers_by_phone

HEADER = ["订单号", "下单时间", "金额", "手机号"]
ROWS = [
    ["A-1", "2024-01-05", "88", "13800138000"],
    ["A-2", "2024-01-05", "-1", "13800138001"],
    ["A-3", "2024-01-06", "120", "13900139000"],
    ["A-4", "2024-02-30", "5", "13900139001"],
    ["A-5", "2024-01-07", "=1+1", "13700137000"],
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_bytes() -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *ROWS])
    return out.getvalue().encode()


def _xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADER, *ROWS]:
        sheet.append(row)
    for cells in sheet.iter_rows():
        for cell in cells:
            cell.data_type = "s"  # "=1+1" typed as text, not a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def importer(client: Any, make_user: Any) -> Any:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(make_user(Role.OPERATIONS))
    return client


def _to_preview(client: Any, name: str, content: bytes) -> ImportJob:
    response = client.post(
        reverse("ingest:upload"),
        {
            "kind": "orders",
            "preset": "generic",
            "source": "",
            "file": SimpleUploadedFile(name, content),
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    job = ImportJob.objects.get()
    preview = client.get(reverse("ingest:job-preview", args=[job.pk]))
    assert preview.context["good_rows"] == 2
    assert 'id="confirm-good-rows"' in preview.content.decode()
    return job


def _rows_of(content: bytes, fmt: str) -> list[list[str]]:
    if fmt == "csv":
        assert content.startswith("\ufeff".encode())
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [
        ["" if v is None else str(v) for v in row]
        for row in sheet.iter_rows(values_only=True)
    ]


@pytest.mark.parametrize(
    ("name", "fmt"), [("orders.csv", "csv"), ("orders.xlsx", "xlsx")]
)
def test_good_rows_are_imported_and_bad_ones_given_back(
    importer: Any,
    counts: Any,
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
    name: str,
    fmt: str,
) -> None:
    content = _csv_bytes() if fmt == "csv" else _xlsx_bytes()
    job = _to_preview(importer, name, content)
    history = importer.get(reverse("ingest:upload")).content.decode()
    assert "Rejected in the preview" in history

    with django_capture_on_commit_callbacks(execute=True):
        importer.post(
            reverse("ingest:job-confirm", args=[job.pk]), {"mode": "good_rows"}
        )
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert (job.report["created"], job.report["left_out_rows"]) == (2, 3)
    assert sorted(customers_by_phone()) == ["+8613800138000", "+8613900139000"]
    assert counts()["Order"] == 2
    assert not job.file  # the upload is gone; the bad rows are kept a day

    page = importer.get(reverse("ingest:job-detail", args=[job.pk])).content.decode()
    assert "3 rows with problems were left out." in page
    download = importer.get(reverse("ingest:job-rejects", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == (
        f'attachment; filename="orders-rejected.{fmt}"'
    )
    rows = _rows_of(download.content, fmt)
    amount_guarded = "'=1+1" if fmt == "csv" else "=1+1"
    assert (
        rows
        == [
            [*HEADER, "错误 / problem"],
            [
                "A-2",
                "2024-01-05",
                "-1",
                "13800138001",
                "金额: amount must not be negative",
            ],
            [
                "A-4",
                "2024-02-30",
                "5",
                "13900139001",
                "下单时间: impossible date",
            ],
            [
                "A-5",
                "2024-01-07",
                amount_guarded,
                "13700137000",
                "金额: not an amount",
            ],
        ][: len(rows)]
    )
    assert len(rows) == 4
    history = importer.get(reverse("ingest:upload")).content.decode()
    assert "3 rows left out" in history


def test_all_or_nothing_stays_the_default(
    importer: Any,
    counts: Any,
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    job = _to_preview(importer, "orders.csv", _csv_bytes())
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        importer.post(reverse("ingest:job-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.REJECTED
    assert counts() == before
    assert not job.rejects
    assert importer.get(reverse("ingest:job-rejects", args=[job.pk])).status_code == 404


def test_an_unknown_mode_is_refused_and_nothing_queued(
    importer: Any, counts: Any
) -> None:
    job = _to_preview(importer, "orders.csv", _csv_bytes())
    response = importer.post(
        reverse("ingest:job-confirm", args=[job.pk]), {"mode": "some_rows"}
    )
    assert response.status_code == 400
    assert "choose how to import: all or nothing, or the good rows only" in (
        response.content.decode()
    )
    job.refresh_from_db()
    assert job.status == JobStatus.UPLOADED


def test_mapping_names_fields_marks_required_and_shows_samples(
    importer: Any,
) -> None:
    importer.post(
        reverse("ingest:upload"),
        {
            "kind": "orders",
            "preset": "generic",
            "source": "",
            "file": SimpleUploadedFile("orders.csv", _csv_bytes()),
        },
    )
    job = ImportJob.objects.get()
    html = importer.get(reverse("ingest:job-mapping", args=[job.pk])).content.decode()
    assert '>Order number <span class="req" title="required">*</span>' in html
    # The field's code is nowhere to read, only in the form's names.
    assert ">order_id" not in html
    assert "order_id *" not in html
    assert '>Customer&#x27;s mobile phone <span class="req"' in html
    assert '<span class="sample">A-1</span><span class="sample">A-2</span>' in html


def test_samples_are_masked_for_roles_that_see_contact_data_masked(
    client: Any, make_user: Any
) -> None:
    from guanxi.ingest.services import import_job_samples

    operations = make_user(Role.OPERATIONS)
    admin = make_user(Role.ADMIN)
    client.force_login(admin)
    client.post(
        reverse("ingest:upload"),
        {
            "kind": "orders",
            "preset": "generic",
            "source": "",
            "file": SimpleUploadedFile("orders.csv", _csv_bytes()),
        },
    )
    job = ImportJob.objects.get()
    assert import_job_samples(actor=admin, job=job)["手机号"] == [
        "13800138000",
        "13800138001",
        "13900139000",
    ]
    assert import_job_samples(actor=operations, job=job)["手机号"] == ["1＊＊＊＊"]
