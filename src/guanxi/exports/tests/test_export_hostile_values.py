"""Exports of values already in the database that a spreadsheet chokes on:
control characters (a NUL from a CSV, a \\x02 through the API) and amounts out
of the column's range (1e20 written with raw SQL on SQLite). Every role that
may export gets every format, the values exact in CSV and JSON, made safe in
XLSX, and no personal value in an error or a log line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation
from openpyxl import load_workbook

from guanxi.commerce.models import Order
from guanxi.customers.models import Customer, Tag
from guanxi.exports.services import export_run, full_access_actor, xlsx_safe

pytestmark = pytest.mark.django_db

NAME = "张\x00伟"  # a NUL from a CSV
CITY = "上\x02海"  # a \x02 through the API
ADDRESS = "=\x1fA1"  # a formula and a control character
TAG = "VIP\x0b"
STORE = "店\x02一"
SECRETS = ("张", "伟", "上\x02海", "A1", "13700137000", "店\x02一")
ROLES = [None, "admin", "operations", "account_manager", "analyst"]
FORMATS = ["csv", "json", "xlsx"]


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def hostile(users: dict[str, Any], make_customer: Any) -> Customer:
    """A customer and two orders whose values were written with raw SQL, as a
    way in without checks would leave them."""
    customer: Customer = make_customer(
        name="placeholder",
        phone="+8613700137000",
        assigned_manager=users["account_manager"],
        first_seen_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
    )
    customer.tags.set([Tag.objects.create(name="placeholder")])
    name_field = Customer._meta.get_field("name")
    address_field = Customer._meta.get_field("address")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET name = %s, address = %s, city = %s "
            "WHERE id = %s",
            [
                name_field.get_prep_value(NAME),  # encrypted, as the field stores it
                address_field.get_prep_value(ADDRESS),
                CITY,
                customer.pk,
            ],
        )
        cursor.execute("UPDATE customers_tag SET name = %s", [TAG])
    for external_id in ("BIG", "SMALL"):
        Order.objects.create(
            source="api",
            external_id=external_id,
            customer=customer,
            ordered_at=dt.datetime(2025, 4, 2, tzinfo=dt.UTC),
            amount=Decimal("1.00"),
            store="placeholder",
        )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE commerce_order SET store = %s", [STORE])
        if connection.vendor == "sqlite":  # PostgreSQL's numeric(12,2) refuses them
            cursor.execute(
                "UPDATE commerce_order SET amount = 1e20 WHERE external_id = 'BIG'"
            )
            cursor.execute(
                "UPDATE commerce_order SET amount = 9e999 WHERE external_id = 'SMALL'"
            )
    return customer


def _export(kind: str, fmt: str, role: str | None, target: Path) -> str:
    err = io.StringIO()
    as_user = ["--as", role] if role else []
    call_command(
        "export", kind, "--format", fmt, "--out", str(target), *as_user,
        "--no-progress", stdout=io.StringIO(), stderr=err,
    )  # fmt: skip
    return err.getvalue()


def _rows(fmt: str, target: Path) -> list[dict[str, Any]]:
    if fmt == "json":
        rows: list[dict[str, Any]] = json.loads(target.read_text(encoding="utf-8"))
        return rows
    if fmt == "csv":
        text = target.read_text(encoding="utf-8-sig")
        return list(csv.DictReader(io.StringIO(text, newline="")))
    sheet = load_workbook(target).active
    assert sheet is not None
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    return [dict(zip(table[0], row, strict=True)) for row in table[1:]]


def _text(fmt: str, value: str) -> str:
    """What a text value becomes in each format: exact, but in a workbook the
    characters XML cannot hold are U+FFFD."""
    return xlsx_safe(value) if fmt == "xlsx" else value


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("role", ROLES)
def test_control_characters_export_in_every_format_for_every_role(
    hostile: Customer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    role: str | None,
    fmt: str,
) -> None:
    pseudonymous = role == "analyst"
    with caplog.at_level(logging.DEBUG):
        customers_err = _export("customers", fmt, role, tmp_path / f"c.{fmt}")
        orders_err = _export("orders", fmt, role, tmp_path / f"o.{fmt}")
    [customer] = _rows(fmt, tmp_path / f"c.{fmt}")
    assert customer["city"] == _text(fmt, CITY)
    assert customer["tags"] == ([TAG] if fmt == "json" else _text(fmt, TAG))
    if pseudonymous:
        assert "name" not in customer and "address" not in customer
    else:
        assert customer["name"] == _text(fmt, NAME)
        # Operations see the address masked; the formula guard ("'" first)
        # still applies in CSV and XLSX.
        address = ADDRESS + "****" if role == "operations" else ADDRESS
        expected = address if fmt == "json" else "'" + address
        assert customer["address"] == _text(fmt, expected)
    orders = _rows(fmt, tmp_path / f"o.{fmt}")
    assert {o["store"] for o in orders} == {_text(fmt, STORE)}
    for stream in (customers_err, orders_err, caplog.text):
        for secret in SECRETS:
            assert secret not in stream


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="only SQLite stores an amount out of range"
)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("role", ROLES)
def test_amounts_out_of_range_do_not_stop_an_export(
    hostile: Customer, tmp_path: Path, role: str | None, fmt: str
) -> None:
    _export("orders", fmt, role, tmp_path / f"o.{fmt}")
    amounts = {o["external_id"]: o["amount"] for o in _rows(fmt, tmp_path / f"o.{fmt}")}
    if fmt == "xlsx":  # a number where it is one; text where it is not
        assert amounts == {"BIG": 1e20, "SMALL": "Inf"}
    else:
        assert amounts == {"BIG": "100000000000000000000.00", "SMALL": "Inf"}


def test_service_may_not_export_them_either(hostile: Customer, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as err:
        _export("customers", "xlsx", "service", tmp_path / "c.xlsx")
    assert str(err.value) == 'user "service" (Customer service) may not export data'
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("张\x00伟", "张\ufffd伟"),
        ("a\x01\x08b", "a\ufffd\ufffdb"),
        ("tab\tnewline\ncr\r", "tab\tnewline\ncr\r"),  # XML allows these three
        ("\x0b\x0c\x0e\x1f", "\ufffd" * 4),
        ("\ufffe\uffff", "\ufffd\ufffd"),
        ("普通文本", "普通文本"),
    ],
    ids=["nul", "c0", "allowed", "more-c0", "non-characters", "plain"],
)
def test_xlsx_safe(value: str, safe: str) -> None:
    assert xlsx_safe(value) == safe


class _FullDisk:
    """Stands in for a disk that fills up halfway through an export."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, text: str, /) -> int:
        if self.written:
            raise OSError(28, "No space left on device")
        self.written += len(text)
        return len(text)


def test_a_failing_export_says_so_without_personal_values(
    hostile: Customer, caplog: pytest.LogCaptureFixture
) -> None:
    from guanxi.exports.models import ExportRecord
    from guanxi.exports.services import ExportFailed

    with caplog.at_level(logging.DEBUG), pytest.raises(ExportFailed) as err:
        export_run(
            kind="customers",
            fmt="json",
            actor=full_access_actor(),
            out=_FullDisk(),
            destination="disk",
        )
    assert err.value.message == "the export stopped after 1 rows (OSError)"
    assert ExportRecord.objects.get().status == "failed"
    for secret in SECRETS:
        assert secret not in caplog.text
