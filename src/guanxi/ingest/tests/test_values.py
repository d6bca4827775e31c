"""The import refuses what the API refuses, with the same words (issue 8, items
2, 3, 4 and 8): out-of-range amounts, quantities, line totals, times and
birthdays, control characters and over-long text — each at its line and
column, nothing written, and no personal value repeated in the message.

Each case sends the same bad value through the REST API and through an import
file, and compares the two messages.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SAME = "the cell as it is"

ORDER_ROW = {
    "order_id": "A-1",
    "ordered_at": "2024-01-05 10:00:00",
    "amount": "128.00",
    "phone": "13800138000",
    "store": "西湖店",
    "channel": "pos",
    "sku": "TEA-1",
    "product": "龙井",
    "quantity": "2",
    "unit price": "64.00",
}
CUSTOMER_ROW = {
    "phone": "13800138000",
    "name": "张三",
    "address": "杭州市西湖区",
    "city": "杭州",
    "birthday": "1990-05-17",
    "tags": "VIP",
}
INTERACTION_ROW = {
    "id": "I-1",
    "kind": "visit",
    "time": "2024-01-05 10:00:00",
    "channel": "store",
    "note": "asked about tea",
    "phone": "13800138000",
}


def _csv(row: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(row)
    writer.writerow(row.values())
    return out.getvalue()


def _messages(data: Any) -> list[str]:
    """Every message in an API error answer, however nested."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [m for value in data.values() for m in _messages(value)]
    if isinstance(data, list):
        return [m for value in data for m in _messages(value)]
    return []


def _api_order(customer: Any, **changes: Any) -> dict[str, Any]:
    line = {"sku": "TEA-1", "name": "龙井", "quantity": 2, "unit_price": "64.00"}
    line.update(changes.pop("line", {}))
    return {
        "external_id": "A-1",
        "customer": customer.pk,
        "ordered_at": "2024-01-05 10:00",
        "amount": "128.00",
        "store": "西湖店",
        "channel": "pos",
        "lines": [line],
        **changes,
    }


# (import column, bad cell, the API request's change, what the error shows of
# the cell: not personal data, so the cell itself, cut to 64 characters with
# control characters escaped; free text is left out)
ORDER_CASES = [
    ("amount", "99999999999999999999", {"amount": "99999999999999999999"}, SAME),
    ("amount", "12.345", {"amount": "12.345"}, SAME),
    ("amount", "¥1,2,3", {"amount": "¥1,2,3"}, SAME),
    ("amount", "1_000", {"amount": "1_000"}, SAME),
    ("amount", "١٢٣", {"amount": "١٢٣"}, SAME),
    ("amount", "-5", {"amount": "-5"}, SAME),
    ("ordered_at", "9999-12-31 10:00:00", {"ordered_at": "9999-12-31 10:00"}, SAME),
    ("ordered_at", "1969-12-31 10:00:00", {"ordered_at": "1969-12-31 10:00"}, SAME),
    ("order_id", "A\x021", {"external_id": "A\x021"}, "A\\x021"),
    ("order_id", "A" * 129, {"external_id": "A" * 129}, "A" * 63 + "…"),
    ("store", "西湖\x02店", {"store": "西湖\x02店"}, None),
    ("store", "店" * 65, {"store": "店" * 65}, None),
    ("channel", "c" * 33, {"channel": "c" * 33}, None),
    ("sku", "TEA\x07", {"line": {"sku": "TEA\x07"}}, "TEA\\x07"),
    ("sku", "S" * 65, {"line": {"sku": "S" * 65}}, "S" * 63 + "…"),
    ("product", "茶" * 201, {"line": {"name": "茶" * 201}}, None),
    ("quantity", "1000001", {"line": {"quantity": "1000001"}}, SAME),
    ("quantity", "0", {"line": {"quantity": "0"}}, SAME),
    ("quantity", "2.5", {"line": {"quantity": "2.5"}}, SAME),
    ("unit price", "12.345", {"line": {"unit_price": "12.345"}}, SAME),
]


@pytest.mark.parametrize(
    ("column", "cell", "change", "shown"),
    ORDER_CASES,
    ids=[f"{c[0]}:{c[1][:12]!r}" for c in ORDER_CASES],
)
def test_an_order_row_is_refused_as_the_api_refuses_it(
    column: str,
    cell: str,
    change: dict[str, Any],
    shown: str | None,
    api: Any,
    make_customer: Any,
    write_file: Callable[..., Path],
    run_import: Any,
    counts: Any,
) -> None:
    customer = make_customer()
    answer = api("admin").post(
        "/api/v1/orders/", _api_order(customer, **change), format="json"
    )
    assert answer.status_code == 400, answer.content
    (expected,) = _messages(answer.json())
    before = counts()
    result = run_import(
        "orders", write_file("o.csv", _csv({**ORDER_ROW, column: cell})), "--json"
    )
    assert result.code == 1
    assert result.json["errors"] == [
        {
            "line": 2,
            "column": column,
            "value": cell if shown == SAME else shown,
            "message": expected,
        }
    ]
    assert counts() == before


def test_a_line_total_beyond_the_amount_column_is_refused(
    api: Any,
    make_customer: Any,
    write_file: Callable[..., Path],
    run_import: Any,
    counts: Any,
) -> None:
    """Issue 8, item 3: 1,000,000 × 99,999 does not fit the amount column."""
    customer = make_customer()
    answer = api("admin").post(
        "/api/v1/orders/",
        _api_order(customer, line={"quantity": 1_000_000, "unit_price": "99999"}),
        format="json",
    )
    assert answer.status_code == 400
    message = (
        "line total (quantity × unit price) is too large (at most 9,999,999,999.99)"
    )
    assert _messages(answer.json()) == [message]
    before = counts()
    row = {**ORDER_ROW, "quantity": "1000000", "unit price": "99999"}
    result = run_import("orders", write_file("o.csv", _csv(row)), "--json")
    assert result.code == 1
    assert result.json["errors"] == [
        {"line": 2, "column": "unit price", "value": "99999", "message": message}
    ]
    assert counts() == before


CUSTOMER_CASES = [
    ("name", "张\x02三", {"name": "张\x02三"}),
    ("name", "名" * 201, {"name": "名" * 201}),
    ("address", "路" * 501, {"address": "路" * 501}),
    ("city", "杭\x1b州", {"city": "杭\x1b州"}),
    ("birthday", "0001-01-01", {"birthday": "0001-01-01"}),
    ("birthday", "9999-12-31", {"birthday": "9999-12-31"}),
    ("tags", "V\x02IP", {"tags": ["V\x02IP"]}),
    ("tags", "VIP, " + "t" * 65, {"tags": ["VIP", "t" * 65]}),
]


@pytest.mark.parametrize(
    ("column", "cell", "change"),
    CUSTOMER_CASES,
    ids=[f"{c[0]}:{c[1][:12]!r}" for c in CUSTOMER_CASES],
)
def test_a_customer_row_is_refused_as_the_api_refuses_it(
    column: str,
    cell: str,
    change: dict[str, Any],
    api: Any,
    write_file: Callable[..., Path],
    run_import: Any,
    counts: Any,
) -> None:
    answer = api("admin").post(
        "/api/v1/customers/",
        {"name": "张三", "phone": "13800138000", **change},
        format="json",
    )
    assert answer.status_code == 400, answer.content
    (expected,) = _messages(answer.json())
    before = counts()
    result = run_import(
        "customers",
        write_file("c.csv", _csv({**CUSTOMER_ROW, column: cell})),
        "--json",
    )
    assert result.code == 1
    # Personal data: the value is left out.
    assert result.json["errors"] == [
        {"line": 2, "column": column, "value": None, "message": expected}
    ]
    assert counts() == before


INTERACTION_CASES = [
    ("time", "9999-12-31 10:00:00", {"occurred_at": "9999-12-31 10:00"}, SAME),
    ("note", "n" * 10_001, {"note": "n" * 10_001}, None),
    ("note", "a\x07b", {"note": "a\x07b"}, None),
    ("channel", "we\x02chat", {"channel": "we\x02chat"}, None),
    ("id", "I" * 129, {"external_id": "I" * 129}, "I" * 63 + "…"),
]


@pytest.mark.parametrize(
    ("column", "cell", "change", "shown"),
    INTERACTION_CASES,
    ids=[f"{c[0]}:{c[1][:12]!r}" for c in INTERACTION_CASES],
)
def test_an_interaction_row_is_refused_as_the_api_refuses_it(
    column: str,
    cell: str,
    change: dict[str, Any],
    shown: str | None,
    api: Any,
    make_customer: Any,
    write_file: Callable[..., Path],
    run_import: Any,
    counts: Any,
) -> None:
    customer = make_customer()
    answer = api("admin").post(
        "/api/v1/interactions/",
        {
            "customer": customer.pk,
            "kind": "visit",
            "occurred_at": "2024-01-05 10:00",
            **change,
        },
        format="json",
    )
    assert answer.status_code == 400, answer.content
    (expected,) = _messages(answer.json())
    before = counts()
    result = run_import(
        "interactions",
        write_file("i.csv", _csv({**INTERACTION_ROW, column: cell})),
        "--json",
    )
    assert result.code == 1
    assert result.json["errors"] == [
        {
            "line": 2,
            "column": column,
            "value": cell if shown == SAME else shown,
            "message": expected,
        }
    ]
    assert counts() == before


def test_a_control_character_in_a_name_is_refused_in_the_text_output(
    write_file: Callable[..., Path], run_import: Any, counts: Any
) -> None:
    """Issue 8, item 4: the message names the code point and the place; the
    name is not repeated (not on the terminal either)."""
    before = counts()
    text = "手机号,姓名\n13800138000,张伟\n13900139000,李\x02娜\n"
    result = run_import("customers", write_file("c.csv", text))
    assert result.code == 1
    assert result.stderr.splitlines() == [
        'line 3, column "姓名": control character U+0002 at position 2 is not allowed',
        "CommandError: import rejected: 1 rows with problems, nothing was written",
    ]
    assert counts() == before


def test_a_control_character_in_an_xlsx_cell_is_refused(
    tmp_path: Path, run_import: Any, counts: Any
) -> None:
    """A workbook keeps a control character as ``_x0002_`` (XML cannot hold
    it); the reader gives it back as the character (it was stored as the text
    ``_x0002_`` before), and the import refuses it at its line and column."""
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["手机号", "姓名"])
    sheet.append(["13800138000", "李CTRL娜"])
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    path = tmp_path / "control.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, data.replace(b"CTRL", b"_x0002_"))
    before = counts()
    result = run_import("customers", path, "--json")
    assert result.code == 1
    assert result.json["errors"] == [
        {
            "line": 2,
            "column": "姓名",
            "value": None,
            "message": "control character U+0002 at position 2 is not allowed",
        }
    ]
    assert counts() == before


def test_invisible_marks_and_full_width_text_are_stored_as_the_api_stores_them(
    write_file: Callable[..., Path], run_import: Any
) -> None:
    from guanxi.commerce.models import Order

    row = {
        **ORDER_ROW,
        "store": "\ufeff西湖\u200b店",
        "channel": "ｗｅｃｈａｔ",
        "order_id": " A-1 ",
    }
    result = run_import("orders", write_file("o.csv", _csv(row)))
    assert result.code == 0, result.stderr
    order = Order.objects.get()
    assert (order.external_id, order.store, order.channel) == (
        "A-1",
        "西湖店",
        "wechat",
    )


def test_a_source_name_follows_the_text_rules(
    write_file: Callable[..., Path], run_import: Any, counts: Any
) -> None:
    before = counts()
    path = write_file("o.csv", _csv(ORDER_ROW))
    result = run_import("orders", path, "--source", "p\x02os")
    assert result.code == 1
    assert result.stderr.splitlines()[-1] == (
        "CommandError: source: control character U+0002 at position 2 is not allowed"
    )
    result = run_import("orders", path, "--source", "s" * 33)
    assert result.stderr.splitlines()[-1] == (
        "CommandError: source: too long (at most 32 characters)"
    )
    assert counts() == before


def test_the_wizard_holds_a_source_name_to_the_text_rules(
    client: Any, make_user: Any, settings: Any, tmp_path: Path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from guanxi.access.choices import Role
    from guanxi.ingest.models import ImportJob

    settings.MEDIA_ROOT = str(tmp_path / "uploads")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(make_user(Role.OPERATIONS))
    response = client.post(
        reverse("ingest:upload"),
        {
            "kind": "orders",
            "preset": "generic",
            "source": "p\x02os",
            "file": SimpleUploadedFile("o.csv", _csv(ORDER_ROW).encode()),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["source"] == [
        "control character U+0002 at position 2 is not allowed"
    ]
    assert ImportJob.objects.count() == 0
