"""How an export's rows become cells and files: CSV, JSON or XLSX, for
machines or for people, with the formula guard (CSV injection) on every text
cell and what a workbook cannot hold replaced.

:func:`spreadsheet_safe`, :func:`spreadsheet_joined` and :func:`xlsx_safe`
are also used by every other file Guanxi writes for a spreadsheet (the audit
export, the import's file of left-out rows, data-subject exports).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

_HEADERS: dict[str, Promise] = {
    "id": gettext_lazy("Customer no."),
    "name": gettext_lazy("Name"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("Email"),
    "birthday": gettext_lazy("Birthday"),
    "birth_year": gettext_lazy("Birth year"),
    "gender": gettext_lazy("Gender"),
    "city": gettext_lazy("City"),
    "address": gettext_lazy("Address"),
    "preferred_channel": gettext_lazy("Preferred channel"),
    "assigned_manager": gettext_lazy("Account manager"),
    "tags": gettext_lazy("Tags"),
    "first_seen_at": gettext_lazy("First seen"),
    "external_id": gettext_lazy("Order no."),
    "source": gettext_lazy("Source"),
    "customer": gettext_lazy("Customer"),
    "customer_phone": gettext_lazy("Customer's phone"),
    "ordered_at": gettext_lazy("Ordered at"),
    "amount": gettext_lazy("Amount"),
    "currency": gettext_lazy("Currency"),
    "store": gettext_lazy("Store"),
    "channel": gettext_lazy("Channel"),
    "status": gettext_lazy("Status"),
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Columns of numbers: a number there is written as one, even negative.
_NUMBER_COLUMNS = frozenset({"amount"})
# What XML 1.0 (so a workbook) cannot hold: C0 controls other than tab, line
# feed and carriage return, lone surrogates, U+FFFE and U+FFFF. openpyxl
# refuses the controls with an error that repeats the whole value.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def spreadsheet_safe(value: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula (CSV injection)."""
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_joined(values: Any, separator: str) -> str:
    """Values joined into one cell, then guarded as a whole (the cell starts
    with the first value, or with the separator when that one is empty); each
    value is guarded too, since a spreadsheet that splits cells at ``;``
    (Excel in many locales opens a CSV that way) makes each one a cell."""
    return spreadsheet_safe(separator.join(spreadsheet_safe(str(v)) for v in values))


def xlsx_safe(value: str) -> str:
    """Replace what a workbook cannot hold with U+FFFD (visible, not dropped)."""
    return _NOT_IN_XML.sub("\ufffd", value)


def _cell(value: Any) -> Any:
    """A value for a spreadsheet cell: lists joined, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, list):
        return spreadsheet_joined(value, ";")
    if isinstance(value, str):
        return spreadsheet_safe(value)
    return value


def _machine_csv_cell(column: str, value: Any) -> Any:
    """A value of an export for machines as CSV text: a number in a number
    column stays a number (``-12.00``, a refund), everything else is guarded."""
    if column in _NUMBER_COLUMNS and isinstance(value, str) and _is_number(value):
        return value
    return _cell(value)


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def _people_csv_cell(value: Any) -> Any:
    """A value of an export for people as CSV text: readable times, two decimals."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return _cell(value)


def _headers(columns: list[str], for_people: bool) -> list[str]:
    if not for_people:
        return columns
    return [str(_HEADERS[c]) for c in columns]


def _write_csv(
    out: IO[str],
    columns: list[str],
    rows: Iterator[dict[str, Any]],
    for_people: bool = False,
) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(h) for h in _headers(columns, for_people)])
    for row in rows:
        if for_people:
            writer.writerow([_people_csv_cell(row[c]) for c in columns])
        else:
            writer.writerow([_machine_csv_cell(c, row[c]) for c in columns])


def _write_json(
    out: IO[str],
    columns: list[str],
    rows: Iterator[dict[str, Any]],
    for_people: bool = False,
) -> None:
    out.write("[")
    first = True
    for row in rows:
        out.write("\n" if first else ",\n")
        out.write(json.dumps(row, ensure_ascii=False))
        first = False
    out.write("\n]\n" if not first else "]\n")


def _write_xlsx(
    out: IO[bytes],
    columns: list[str],
    rows: Iterator[dict[str, Any]],
    for_people: bool = False,
) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    if not for_people:
        sheet.append(columns)
        for row in rows:
            # openpyxl turns text starting with "=" into a formula; _cell prevents it.
            sheet.append([_xlsx_cell(c, row[c]) for c in columns])
    else:
        sheet.title = str(_("Export"))[:31]
        sheet.freeze_panes = "A2"
        sheet.append([_typed_cell(sheet, h) for h in _headers(columns, True)])
        for row in rows:
            sheet.append([_typed_cell(sheet, row[c]) for c in columns])
    book.save(out)


def _typed_cell(sheet: Any, value: Any) -> Any:
    """A typed workbook cell for people: numbers as numbers, days as dates,
    times as date-times, text as text. Text is stored as a text cell even when
    it starts with ``=`` or ``+`` (a phone number), so nothing is ever run as
    a formula and nothing needs a leading apostrophe."""
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "0.00"
        return cell
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    cell = WriteOnlyCell(sheet, value=xlsx_safe(str(value)))
    cell.data_type = "s"  # never a formula, whatever the text starts with
    return cell


def _xlsx_cell(column: str, value: Any) -> Any:
    if column == "amount" and value is not None:
        # A number in a workbook, so it can be summed; text if it is none.
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            return number
    value = _cell(value)
    return xlsx_safe(value) if isinstance(value, str) else value


_WRITERS: dict[
    str, Callable[[Any, list[str], Iterator[dict[str, Any]], bool], None]
] = {
    "csv": _write_csv,
    "json": _write_json,
    "xlsx": _write_xlsx,
}
