"""Exports of customers and orders as CSV, XLSX or JSON, in the actor's scope.

Rows come from the selectors (scope) and customers through
:func:`customer_card` (what the role may see), so an export never shows more
than the same user sees on screen. Every run is recorded in
:class:`ExportRecord` and logged (who, what, how many rows — no customer data).

Whatever is already stored exports: CSV and JSON carry it exactly; in a
workbook the characters XML cannot hold (control characters such as NUL) become
U+FFFD, and amounts are read as text, so one outside the column's range (1e20
written with raw SQL on SQLite) is shown, not a crash. A failing export says at
which row and with which kind of error, never with the value.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Protocol

from django.contrib.auth import get_user_model
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from guanxi.access.policies import Policy, policy_for
from guanxi.commerce.selectors import order_list
from guanxi.core.errors import DomainError, PermissionDenied, ValidationFailed
from guanxi.customers.presenters import customer_card, customer_phone, customer_ref
from guanxi.customers.selectors import customer_list, customer_list_with_tags
from guanxi.exports.models import ExportRecord

__all__ = [
    "FORMATS",
    "KINDS",
    "ExportFailed",
    "export_columns",
    "export_records",
    "export_run",
    "full_access_actor",
    "spreadsheet_safe",
    "xlsx_safe",
]


class TextSink(Protocol):
    def write(self, text: str, /) -> int: ...


KINDS = ("customers", "orders")
FORMATS = ("csv", "xlsx", "json")
CHUNK_SIZE = 2000
audit_log = logging.getLogger("guanxi.audit")

_CUSTOMER_COLUMNS = [
    "id", "name", "phone", "email", "birthday", "gender", "city", "address",
    "preferred_channel", "assigned_manager", "tags", "first_seen_at",
]  # fmt: skip
_CUSTOMER_COLUMNS_WITHOUT_PERSONAL_DATA = [
    "id", "birth_year", "gender", "city", "preferred_channel", "tags",
    "first_seen_at",
]  # fmt: skip
_ORDER_COLUMNS = [
    "external_id", "source", "customer", "customer_phone", "ordered_at", "amount",
    "currency", "store", "channel", "status",
]  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 (so a workbook) cannot hold: C0 controls other than tab, line
# feed and carriage return, lone surrogates, U+FFFE and U+FFFF. openpyxl
# refuses the controls with an error that repeats the whole value.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class ExportFailed(DomainError):
    """An export stopped part-way for a reason other than the request itself."""

    status_code = 500


def full_access_actor() -> Any:
    """An unsaved superuser standing for the command line without ``--as``."""
    User = get_user_model()
    return User(username="(command line)", is_superuser=True, is_active=True)


def spreadsheet_safe(value: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula (CSV injection)."""
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_safe(value: str) -> str:
    """Replace what a workbook cannot hold with U+FFFD (visible, not dropped)."""
    return _NOT_IN_XML.sub("\ufffd", value)


def export_columns(kind: str, policy: Policy) -> list[str]:
    if kind == "customers":
        if policy.sees_personal_data:
            return _CUSTOMER_COLUMNS
        return _CUSTOMER_COLUMNS_WITHOUT_PERSONAL_DATA
    if policy.sees_personal_data:
        return _ORDER_COLUMNS
    return [c for c in _ORDER_COLUMNS if c != "customer_phone"]


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def _amount(text: str | None) -> str | None:
    """An amount read as text: two decimals when it is a finite number, else
    exactly as stored (``Inf``, or text SQLite kept in the column)."""
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    return f"{value:.2f}" if value.is_finite() else text


def _customers(
    actor: Any, policy: Policy, within: QuerySet[Any] | None
) -> Iterator[dict[str, Any]]:
    qs = _within(customer_list_with_tags(actor=actor), within)
    if not policy.sees_personal_data:
        # Never even decrypt what the role may not see.
        qs = qs.defer("name", "phone", "email", "address", "birthday")
    columns = export_columns("customers", policy)
    for customer in qs.iterator(chunk_size=CHUNK_SIZE):
        card = customer_card(customer, policy=policy)
        yield {c: _iso(card.get(c)) for c in columns}


def _orders(actor: Any, policy: Policy) -> Iterator[dict[str, Any]]:
    fields = [
        "external_id", "source", "customer_id", "ordered_at", "amount_text",
        "currency", "store", "channel", "status",
    ]  # fmt: skip
    if policy.sees_personal_data:
        fields.append("customer__phone")  # decrypted by the field's converter
    columns = export_columns("orders", policy)
    # Plain tuples rather than model instances: three times faster on big exports.
    # The amount as text: the decimal converter raises on a value out of the
    # column's range, which SQLite may hold.
    values = (
        order_list(actor=actor)
        .annotate(amount_text=Cast("amount", output_field=TextField()))
        .values_list(*fields)
    )
    for values_row in values.iterator(chunk_size=CHUNK_SIZE):
        row = dict(zip(fields, values_row, strict=True))
        row["customer"] = customer_ref(row.pop("customer_id"), policy=policy)
        row["ordered_at"] = _iso(row["ordered_at"])
        row["amount"] = _amount(row.pop("amount_text"))
        if policy.sees_personal_data:
            # As customer_card shows the customer's own phone: full or masked.
            phone = row.pop("customer__phone")
            row["customer_phone"] = customer_phone(phone, policy=policy)
        yield {c: row[c] for c in columns}


def _within(qs: QuerySet[Any], within: QuerySet[Any] | None) -> QuerySet[Any]:
    """``qs`` (the actor's scope) narrowed to the customers of ``within``:
    narrowed only, so ``within`` can never widen what the actor may see."""
    if within is None:
        return qs
    return qs.filter(pk__in=within.order_by().values("pk"))


def export_records(
    *, kind: str, actor: Any, within: QuerySet[Any] | None = None
) -> Iterator[dict[str, Any]]:
    """The rows of an export, as the actor may see them. ``within``: only
    these customers (a segment's members; customer exports only)."""
    policy = policy_for(actor)
    if kind == "customers":
        return _customers(actor, policy, within)
    return _orders(actor, policy)


def _cell(value: Any) -> Any:
    """A value for a spreadsheet cell: lists joined, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    if isinstance(value, str):
        return spreadsheet_safe(value)
    return value


def _write_csv(
    out: IO[str], columns: list[str], rows: Iterator[dict[str, Any]]
) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])


def _write_json(
    out: IO[str], columns: list[str], rows: Iterator[dict[str, Any]]
) -> None:
    out.write("[")
    first = True
    for row in rows:
        out.write("\n" if first else ",\n")
        out.write(json.dumps(row, ensure_ascii=False))
        first = False
    out.write("\n]\n" if not first else "]\n")


def _write_xlsx(
    out: IO[bytes], columns: list[str], rows: Iterator[dict[str, Any]]
) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(columns)
    for row in rows:
        # openpyxl turns text starting with "=" into a formula; _cell prevents it.
        sheet.append([_xlsx_cell(c, row[c]) for c in columns])
    book.save(out)


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


_WRITERS: dict[str, Callable[[Any, list[str], Iterator[dict[str, Any]]], None]] = {
    "csv": _write_csv,
    "json": _write_json,
    "xlsx": _write_xlsx,
}


def export_check(*, kind: str, fmt: str, actor: Any) -> Policy:
    """Refuse an export before anything is written."""
    if kind not in KINDS:
        raise ValidationFailed(
            _('unknown export "%(kind)s": choose customers or orders') % {"kind": kind}
        )
    if fmt not in FORMATS:
        raise ValidationFailed(
            _('unknown format "%(fmt)s": choose csv, xlsx or json') % {"fmt": fmt}
        )
    policy = policy_for(actor)
    if not policy.may_export:
        role = policy.role.label if policy.role is not None else _("no role")
        raise PermissionDenied(
            _('user "%(user)s" (%(role)s) may not export data')
            % {"user": actor.get_username(), "role": role}
        )
    return policy


def export_run(
    *,
    kind: str,
    fmt: str,
    actor: Any,
    out: IO[Any] | TextSink,
    destination: str,
    progress: bool = False,
    within: QuerySet[Any] | None = None,
) -> ExportRecord:
    """Write the export to ``out`` (text for csv/json, bytes for xlsx) and record it.

    ``within`` narrows a customer export to these customers (a segment's
    members, built on the same actor's scope); the columns, masking and
    record are the export's as always.
    """
    policy = export_check(kind=kind, fmt=fmt, actor=actor)
    if within is not None and kind != "customers":
        raise ValidationFailed(_("only a customer export can be narrowed"))
    record = ExportRecord.objects.create(
        actor=actor if actor.pk is not None else None,
        actor_label=actor.get_username(),
        role=policy.role.value if policy.role is not None else "",
        kind=kind,
        format=fmt,
        destination=destination[:500],
    )
    audit_log.info(
        "export %s started: %s as %s by %s (role %s) to %s",
        record.pk, kind, fmt, record.actor_label, record.role, record.destination,
    )  # fmt: skip
    rows = export_records(kind=kind, actor=actor, within=within)
    total = None
    if progress:
        if kind == "customers":
            total = _within(customer_list(actor=actor), within).count()
        else:
            total = order_list(actor=actor).count()
    counted = 0

    def counting() -> Iterator[dict[str, Any]]:
        nonlocal counted
        with tqdm(
            total=total, unit=" rows", file=sys.stderr, disable=not progress, desc=kind
        ) as bar:
            for row in rows:
                counted += 1
                if counted % 1000 == 0:
                    bar.update(1000)
                yield row
            bar.update(counted % 1000)

    try:
        _WRITERS[fmt](out, export_columns(kind, policy), counting())
    except BaseException as exc:
        record.status = ExportRecord.Status.FAILED
        record.rows = counted
        record.finished_at = timezone.now()
        record.save(update_fields=["status", "rows", "finished_at"])
        # The kind of error only: messages of libraries may quote the value.
        audit_log.warning(
            "export %s failed after %s rows (%s)",
            record.pk, counted, type(exc).__name__,
        )  # fmt: skip
        if isinstance(exc, Exception) and not isinstance(exc, DomainError):
            raise ExportFailed(
                _("the export stopped after %(rows)s rows (%(error)s)")
                % {"rows": counted, "error": type(exc).__name__}
            ) from None
        raise
    record.status = ExportRecord.Status.DONE
    record.rows = counted
    record.finished_at = timezone.now()
    record.save(update_fields=["status", "rows", "finished_at"])
    audit_log.info("export %s done: %s rows", record.pk, counted)
    return record
