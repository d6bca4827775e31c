"""A copy of the database holds no personal value in clear (issue 13, tests):
canary customers with marker values in every personal field and in the free
text about them (notes, a list query searching for one); then the SQLite file and its write-ahead log, or a
``pg_dump`` of PostgreSQL, are scanned byte by byte for the markers."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

NAME = "金丝雀丁某"
PHONE = "+8613987654321"
EMAIL = "canary.delta.mark@example.org"
ADDRESS = "金丝雀大道77号楼"
BIRTHDAY = dt.date(1983, 9, 17)
NOTE = "金丝雀丁说她的孩子在金丝雀小学"
TASK_NOTE = "金丝雀回访记录：不满意包装"
CANARIES = [
    NAME,
    PHONE,
    PHONE.removeprefix("+86"),
    EMAIL,
    "canary.delta.mark",
    ADDRESS,
    BIRTHDAY.isoformat(),
    NOTE,
    TASK_NOTE,
]


def _make_canaries(make_customer: Any, make_user: Any) -> None:
    from guanxi.access.choices import Role
    from guanxi.care.models import CareTask, ChurnWarning
    from guanxi.customers.models import Interaction, SavedView
    from guanxi.exports.models import ExportRecord

    person = make_customer(
        name=NAME, phone=PHONE, email=EMAIL, address=ADDRESS, birthday=BIRTHDAY
    )
    now = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    Interaction.objects.create(
        customer=person, kind="complaint", occurred_at=now, note=NOTE
    )
    warning = ChurnWarning.objects.create(
        customer=person, signals={}, opened_as_of=now.date(), as_of=now.date()
    )
    CareTask.objects.create(
        warning=warning,
        customer=person,
        due_on=now.date(),
        remedy="coupon",
        note=TASK_NOTE,
    )
    # A list searched by the canary's phone, kept as a view and an export.
    searched = f"q={PHONE.removeprefix('+86')}"
    admin = make_user(Role.ADMIN)
    SavedView.objects.create(owner=admin, name="canary", query=searched)
    ExportRecord.objects.create(
        actor=admin,
        actor_label="admin",
        role="admin",
        kind="customers",
        destination="-",
        query=searched,
    )


def _found(data: bytes) -> list[str]:
    return [c for c in CANARIES if c.encode("utf-8") in data]


@pytest.mark.django_db(transaction=True)
def test_the_database_files_hold_no_canary(make_customer: Any, make_user: Any) -> None:
    _make_canaries(make_customer, make_user)
    if connection.vendor == "sqlite":
        name = Path(str(connection.settings_dict["NAME"]))
        files = [name, Path(f"{name}-wal")]
        if not name.exists():
            pytest.skip("an in-memory database has no file")
        data = b"".join(p.read_bytes() for p in files if p.exists())
        assert Path(f"{name}-wal").exists()  # the rows are in the log, or both
    else:
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            pytest.skip("pg_dump is not installed")
        params = connection.get_connection_params()
        env = {**os.environ, "PGPASSWORD": str(params.get("password") or "")}
        data = subprocess.run(
            [
                pg_dump,
                "--data-only",
                "-h",
                str(params.get("host") or "127.0.0.1"),
                "-p",
                str(params.get("port") or 5432),
                "-U",
                str(params.get("user") or "postgres"),
                str(params["dbname"]),
            ],
            env=env,
            check=True,
            capture_output=True,
        ).stdout
    assert b"v1:" in data  # the scan reads the rows: their ciphertext is there
    assert _found(data) == []
