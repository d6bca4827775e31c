"""The data-subject export's ZIP is written to a temporary file and streamed:
the same archive as the in-memory one of before (entry by entry: names,
order, compression, sizes, checksums, contents; only the entries' date is
now the export's), the same bytes from the file as from memory, and the
file has no name while it is streamed and is closed with the response (the
process's open files are read from ``/proc/self/fd``)."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from typing import Any

import pytest
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone

from guanxi.feedback.services import attachments_add, ticket_open
from guanxi.feedback.tests.test_attachments import PDF, TEXT, png
from guanxi.privacy.services import (
    _csv,
    dsar_export,
    dsar_export_zip,
    dsar_export_zip_file,
    request_open,
)

pytestmark = pytest.mark.django_db


def _zip_before(data: dict[str, Any]) -> bytes:
    """The export's ZIP as it was built before it was streamed (in memory)."""
    from guanxi.core.personal_data import registered

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for label, rows in data["records"].items():
            columns = list(rows[0]) if rows else []
            archive.writestr(f"{label}.csv", _csv(rows, columns))
        audit_columns = ["at", "action", "object_type", "object_id", "details"]
        archive.writestr("audit.csv", _csv(data["audit"], audit_columns))
        for entry in registered():
            if entry.files is None:
                continue
            for name, content in entry.files(int(data["customer"])):
                archive.writestr(f"files/{entry.label}/{name}", content)
    return buffer.getvalue()


def _entries(data: bytes) -> list[tuple[Any, ...]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [
            (
                i.filename,
                i.compress_type,
                i.external_attr,
                i.CRC,
                i.file_size,
                i.compress_size,
                archive.read(i),
            )
            for i in archive.infolist()
        ]


def _temporary_files() -> set[str]:
    """What this process holds open in the temporary folder (Linux), leaving
    out the test database's files (they may live there too, and its
    connection may be opened again under other descriptors)."""
    from django.db import connection

    folder = tempfile.gettempdir()
    database = str(connection.settings_dict["NAME"])
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(folder + "/") and not target.startswith(database):
            found.add(f"{fd}:{target}")
    return found


@pytest.fixture
def customer(canary: Any, world: Any, settings: Any, tmp_path: Any) -> Any:
    """The canary customer (records in every app) with a ticket and files."""
    settings.DATA_DIR = tmp_path
    ticket = ticket_open(
        actor=world.users["admin"],
        customer_id=canary.customer.pk,
        category="complaint",
        text="包装破了",
    )
    attachments_add(
        actor=world.users["admin"],
        ticket_id=ticket.pk,
        files=[
            (io.BytesIO(png()), "破损.png"),
            (io.BytesIO(PDF), "发票.pdf"),
            (io.BytesIO(TEXT), "说明.txt"),
        ],
    )
    return canary.customer


def test_the_streamed_zip_is_the_zip_of_before(customer: Any) -> None:
    data = dsar_export(customer_id=customer.pk, actor=None, via="cli")
    before = _zip_before(data)
    spool = dsar_export_zip_file(data)
    try:
        streamed = spool.read()
    finally:
        spool.close()
    assert _entries(streamed) == _entries(before)
    assert len(streamed) == len(before)
    names = [e[0] for e in _entries(streamed)]
    assert sum(n.startswith("files/feedback.Attachment/") for n in names) == 3
    assert "customers.Customer.csv" in names and "commerce.Order.csv" in names
    # From a file or from memory: the same bytes, dated by the export.
    assert streamed == dsar_export_zip(data)
    at = timezone.localtime(data["exported_at"])
    with zipfile.ZipFile(io.BytesIO(streamed)) as archive:
        assert {i.date_time for i in archive.infolist()} == {
            # A ZIP keeps seconds in steps of two.
            (at.year, at.month, at.day, at.hour, at.minute, at.second // 2 * 2)
        }


def test_the_download_streams_a_nameless_file_closed_with_the_response(
    customer: Any, world: Any, client_for: Any
) -> None:
    request = request_open(
        actor=world.users["admin"], kind="access", customer_id=customer.pk
    )
    before = _temporary_files()
    response = client_for("admin").get(
        reverse("privacy:request-export-zip", args=[request.pk])
    )
    assert response.status_code == 200
    assert isinstance(response, FileResponse)
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        f'attachment; filename="customer-{customer.pk}-data.zip"'
    )
    # One file open in the temporary folder, with no name on disk.
    (opened,) = _temporary_files() - before
    assert opened.endswith(" (deleted)")
    body = b"".join(response.streaming_content)  # type: ignore[arg-type]
    assert int(response["Content-Length"]) == len(body)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        files = {
            n.rsplit("-", 1)[-1]: archive.read(n)
            for n in archive.namelist()
            if n.startswith("files/feedback.Attachment/")
        }
    assert files == {"破损.png": png(), "发票.pdf": PDF, "说明.txt": TEXT}
    response.close()
    assert _temporary_files() == before
