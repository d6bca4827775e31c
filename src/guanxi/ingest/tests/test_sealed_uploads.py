"""Uploads of the web wizard are sealed on disk (guanxi.ingest.atrest): no
plaintext in the stored bytes, GBK CSV and XLSX still import end to end, a
changed byte is refused whole, and a key rotation seals waiting uploads again."""

from __future__ import annotations

import base64
import io
import json
import stat
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from guanxi.access.choices import Role
from guanxi.core.sealedfile import sealed_key_id
from guanxi.ingest.choices import JobStatus
from guanxi.ingest.models import ImportJob
from guanxi.ingest.tests.conftest import customers_by_phone

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
ROWS = [
    ["订单号", "下单时间", "金额", "手机号", "姓名"],
    ["A-1", "2024-01-05", "88", PHONE, "张伟"],
    ["A-2", "2024-01-06", "120", "13900139000", "李娜"],
]
DAMAGED = (
    "the stored upload is damaged or was changed after it was uploaded: "
    "nothing was imported; upload the file again"
)


@pytest.fixture
def client(client: Any, make_user: Any) -> Any:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(make_user(Role.ADMIN))
    return client


def _csv(encoding: str = "utf-8") -> bytes:
    return "".join(",".join(row) + "\n" for row in ROWS).encode(encoding)


def _xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in ROWS:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client: Any, name: str, content: bytes) -> ImportJob:
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
    return ImportJob.objects.latest("pk")


def _confirm(client: Any, job: ImportJob, capture: Any) -> ImportJob:
    with capture(execute=True):
        client.post(reverse("ingest:job-confirm", args=[job.pk]))
    job.refresh_from_db()
    return job


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("orders.csv", _csv()),
        ("订单-gbk.csv", _csv("gbk")),
        ("orders.xlsx", _xlsx()),
    ],
    ids=["utf8-csv", "gbk-csv", "xlsx"],
)
def test_the_stored_upload_is_sealed_and_imports_end_to_end(
    client: Any,
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
    name: str,
    content: bytes,
) -> None:
    job = _upload(client, name, content)
    path = Path(job.file.path)
    stored = path.read_bytes()
    assert stored.startswith(b"GXS1")
    assert PHONE.encode() not in stored
    assert "张伟".encode() not in stored and "张伟".encode("gbk") not in stored
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert job.headers == ROWS[0]
    assert job.total_rows == 2
    mapping = client.get(reverse("ingest:job-mapping", args=[job.pk]))
    assert "张伟" in mapping.content.decode()  # samples read through the seal
    preview = client.get(reverse("ingest:job-preview", args=[job.pk]))
    assert preview.context["report"].ok
    job = _confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == JobStatus.DONE
    assert job.report["created"] == 2
    assert {p: c.name for p, c in customers_by_phone().items()} == {
        "+8613912345678": "张伟",
        "+8613900139000": "李娜",
    }
    assert not path.exists()


@pytest.mark.parametrize(
    ("name", "content"), [("orders.csv", _csv()), ("orders.xlsx", _xlsx())]
)
def test_a_changed_byte_is_refused_and_nothing_is_imported(
    client: Any,
    counts: Any,
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
    name: str,
    content: bytes,
) -> None:
    job = _upload(client, name, content)
    path = Path(job.file.path)
    stored = bytearray(path.read_bytes())
    stored[-20] ^= 0x40
    path.write_bytes(bytes(stored))
    before = counts()
    preview = client.get(reverse("ingest:job-preview", args=[job.pk]))
    assert DAMAGED in preview.content.decode()
    job = _confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == JobStatus.REJECTED
    assert [e["message"] for e in job.report["errors"]] == [DAMAGED]
    assert counts() == before


def test_the_message_in_chinese() -> None:
    from django.utils import translation

    from guanxi.ingest.atrest import damaged_upload_message

    with translation.override("zh-hans"):
        assert damaged_upload_message() == (
            "保存的上传文件已损坏或在上传后被改动：没有导入任何内容；请重新上传文件"
        )


def test_a_key_rotation_seals_waiting_uploads_again(
    client: Any,
    settings: Any,
    tmp_path: Path,
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    current = settings.GUANXI_ENCRYPTION_KEYS[settings.GUANXI_ENCRYPTION_KEY_ID]
    key = base64.urlsafe_b64encode(current).decode()
    keys = tmp_path / "keys.json"
    keys.write_text(
        json.dumps(
            {
                "secret_key": "x" * 50,
                "encryption_keys": f"k1={key}",
                "encryption_key_id": "k1",
                "blind_index_key": settings.GUANXI_BLIND_INDEX_KEY.decode(),
                "pseudonym_key": settings.GUANXI_PSEUDONYM_KEY.decode(),
            }
        )
    )
    settings.GUANXI_KEY_FILE = keys
    settings.GUANXI_ENCRYPTION_KEYS = {"k1": current}
    settings.GUANXI_ENCRYPTION_KEY_ID = "k1"
    job = _upload(client, "orders.xlsx", _xlsx())
    path = Path(job.file.path)
    assert sealed_key_id(path) == "k1"
    out = StringIO()
    call_command("keys", "rotate", "--json", "--no-progress", stdout=out)
    assert json.loads(out.getvalue())["key_id"] == "k2"
    assert sealed_key_id(path) == "k2"
    assert PHONE.encode() not in path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    job = _confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == JobStatus.DONE
    assert set(customers_by_phone()) == {"+8613912345678", "+8613900139000"}


def test_reading_a_large_sealed_upload_holds_a_bounded_part_of_it(
    make_user: Any, tmp_path: Path
) -> None:
    """A 24 MB CSV upload read row by row through the seal: the peak of
    Python's allocations stays far below the file's size."""
    import tracemalloc

    from django.core.files.uploadedfile import TemporaryUploadedFile

    from guanxi.ingest.jobs import import_job_create
    from guanxi.ingest.runs import job_table

    upload = TemporaryUploadedFile("big.csv", "text/csv", 0, None)
    upload.write("订单号,下单时间,金额,手机号,姓名\n".encode())
    row = 0
    while upload.tell() < 24 * 1024 * 1024:
        lines = "".join(
            f"A-{row + i},2024-01-05,88,139{(row + i) % 10**8:08d},张伟\n"
            for i in range(10_000)
        )
        upload.write(lines.encode())
        row += 10_000
    upload.size = upload.tell()
    upload.seek(0)
    job = import_job_create(
        actor=make_user(Role.ADMIN), kind="orders", upload=upload, preset="generic"
    )
    assert job.total_rows == row
    size = Path(job.file.path).stat().st_size
    assert size > 24 * 1024 * 1024
    tracemalloc.start()
    try:
        table = job_table(job)
        try:
            read = sum(1 for _row in table.rows)
        finally:
            table.close()
            job.file.close()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert read == row
    assert peak < 8 * 1024 * 1024, peak
