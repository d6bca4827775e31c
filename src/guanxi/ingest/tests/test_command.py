"""``guanxi import``: exit codes, ``--json``, ``--dry-run``, presets and mappings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from guanxi.ingest.tests.conftest import customers_by_phone

CUSTOMERS = "手机号,姓名\n13800138000,张伟\n13900139000,李娜\n"


def test_success_prints_a_summary(write_file: Any, run_import: Any) -> None:
    result = run_import("customers", write_file("c.csv", CUSTOMERS))
    assert result.code == 0
    assert result.stdout.strip() == "2 created, 0 updated, 0 unchanged"


def test_orders_summary_counts_customers(write_file: Any, run_import: Any) -> None:
    text = "order_id,ordered_at,amount,phone\nA-1,2024-01-01,5,13800138000\n"
    result = run_import("orders", write_file("o.csv", text))
    assert result.stdout.strip() == (
        "1 created, 0 updated, 0 unchanged (customers: 1 created, 0 updated)"
    )


def test_rejection_lists_problems_and_exits_non_zero(
    write_file: Any, run_import: Any, counts: Any
) -> None:
    result = run_import("customers", write_file("c.csv", "手机号\n123\n"))
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        'line 2, column "手机号", value "***": not a valid phone number',
        "CommandError: import rejected: 1 rows with problems, nothing was written",
    ]
    assert counts()["Customer"] == 0


def test_json_is_one_object_on_stdout(write_file: Any, run_import: Any) -> None:
    result = run_import("customers", write_file("c.csv", CUSTOMERS), "--json")
    assert result.stdout.count("\n") == 1
    assert json.loads(result.stdout) == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected_rows": 0,
        "errors": [],
        "errors_total": 0,
        "errors_not_shown": 0,
    }


def test_dry_run_validates_and_writes_nothing(
    write_file: Any, run_import: Any, counts: Any
) -> None:
    before = counts()
    result = run_import(
        "customers", write_file("c.csv", CUSTOMERS), "--dry-run", "--json"
    )
    assert result.code == 0
    assert result.json["created"] == 2
    assert counts() == before
    text = run_import("customers", write_file("c.csv", CUSTOMERS), "--dry-run")
    assert text.stdout.strip() == (
        "dry run, nothing written: 2 created, 0 updated, 0 unchanged"
    )
    bad = run_import(
        "customers", write_file("b.csv", "手机号\n1\n"), "--dry-run", "--json"
    )
    assert bad.code == 1
    assert bad.json["rejected_rows"] == 1
    assert counts() == before


def test_mapping_names_unusual_headers(write_file: Any, run_import: Any) -> None:
    path = write_file("c.csv", "联系方式,称呼\n13800138000,张伟\n")
    result = run_import(
        "customers", path, "--mapping", '{"phone": "联系方式", "name": "称呼"}'
    )
    assert result.code == 0, result.stderr
    assert customers_by_phone()["+8613800138000"].name == "张伟"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--mapping", "{nope"],
            "--mapping is not valid JSON (expected {field: header})",
        ),
        (
            ["--mapping", '{"shoe": "x"}'],
            'unknown field "shoe" (known: external_id, name, phone, email, birthday, gender, city, address, tags, language, time_zone)',
        ),
        (["--preset", "nope"], 'no preset "nope" for customers'),
    ],
)
def test_usage_errors(
    args: Any, message: Any, write_file: Any, run_import: Any, counts: Any
) -> None:
    result = run_import("customers", write_file("c.csv", CUSTOMERS), *args)
    assert result.code == 1
    assert result.stderr.strip().splitlines()[-1] == f"CommandError: {message}"
    assert counts()["Customer"] == 0


def test_mapping_to_a_header_that_is_not_there(
    write_file: Any, run_import: Any
) -> None:
    result = run_import(
        "customers",
        write_file("c.csv", CUSTOMERS),
        "--mapping",
        '{"email": "E-Mail"}',
        "--json",
    )
    assert result.code == 1
    assert result.json["errors"] == [
        {
            "line": 1,
            "column": "E-Mail",
            "value": "",
            "message": "column not found in the file",
        }
    ]


def test_missing_file(run_import: Any, tmp_path: Any) -> None:
    result = run_import("customers", tmp_path / "nope.csv")
    assert result.code == 1
    assert (
        result.stderr.strip() == f"CommandError: no such file: {tmp_path / 'nope.csv'}"
    )


def test_saved_preset(write_file: Any, run_import: Any) -> None:
    from guanxi.ingest.services import import_preset_save

    import_preset_save(
        name="pos", kind="customers", mapping={"phone": "会员手机"}, source="pos"
    )
    result = run_import(
        "customers", write_file("c.csv", "会员手机\n13800138000\n"), "--preset", "pos"
    )
    assert result.code == 0, result.stderr
    from guanxi.customers.models import Customer

    assert Customer.objects.count() == 1


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def test_console_command_exit_code(transactional_db: Any, tmp_path: Path) -> None:
    """The ``guanxi`` console command in its own process: a rejected file exits 1,
    prints the JSON object on stdout and no traceback."""
    env = {**os.environ, "DATABASE_URL": _database_url(), "LANGUAGE": "en"}
    bad = tmp_path / "b.csv"
    bad.write_text("手机号,姓名\n13800138000,张伟\n12,李娜\n", encoding="utf-8")
    rejected = subprocess.run(
        [sys.executable, "-m", "guanxi.cli", "import", "customers", str(bad), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rejected.returncode == 1
    assert json.loads(rejected.stdout) == {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected_rows": 1,
        "errors": [
            {
                "line": 3,
                "column": "手机号",
                "value": "**",
                "message": "not a valid phone number",
            }
        ],
        "errors_total": 1,
        "errors_not_shown": 0,
    }
    assert rejected.stderr.strip().splitlines()[-1] == (
        "CommandError: import rejected: 1 rows with problems, nothing was written"
    )
    assert "Traceback" not in rejected.stderr
    assert customers_by_phone() == {}
