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

Two forms of the same rows. **For machines** (the command, JSON, the API): the
stable keys as headers and stored codes as values, times in UTC (ISO 8601).
**For people** (exports asked for in the browser): headers and values in the
language asked for (labels, not codes such as ``female`` or ``wecom``), the
account manager's name, times in the business's time zone; in a workbook typed
cells (amounts are numbers, days are dates, a phone number is text with no
leading apostrophe, since a text cell is never run as a formula). Both CSV
forms keep the formula guard (:func:`spreadsheet_safe`).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Protocol

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from tqdm import tqdm

from guanxi.access.policies import Policy, policy_for
from guanxi.audit.services import export_finished
from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.selectors import order_list
from guanxi.core.errors import DomainError, PermissionDenied, ValidationFailed
from guanxi.core.moments import local_moment
from guanxi.core.words import channel_label, source_label
from guanxi.customers.choices import Channel, Gender
from guanxi.customers.presenters import customer_card, customer_phone, customer_ref
from guanxi.customers.selectors import customer_list, customer_list_with_tags
from guanxi.exports.models import ExportRecord
from guanxi.exports.writers import (
    _WRITERS,
    spreadsheet_joined,
    spreadsheet_safe,
    xlsx_safe,
)

__all__ = [
    "FORMATS",
    "KINDS",
    "ExportFailed",
    "export_columns",
    "export_records",
    "export_run",
    "export_write",
    "full_access_actor",
    "spreadsheet_joined",
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


#: The headers of an export for people, in the language it is made in.
class ExportFailed(DomainError):
    """An export stopped part-way for a reason other than the request itself."""

    status_code = 500


def full_access_actor() -> Any:
    """An unsaved superuser standing for the command line without ``--as``."""
    User = get_user_model()
    return User(username="(command line)", is_superuser=True, is_active=True)


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


Render = Callable[[str, Any], Any]


def _machine_value(column: str, value: Any) -> Any:
    """A value for machines: as stored, times in UTC (ISO 8601)."""
    return _iso(value)


def _people_value(managers: Callable[[int | None], str]) -> Render:
    """A renderer of values for people: labels for codes, names for people,
    times in the business's time zone (naive, as a spreadsheet holds them)."""
    genders = {value: str(label) for value, label in Gender.choices if value}
    channels = {value: str(label) for value, label in Channel.choices if value}
    statuses = {value: str(label) for value, label in OrderStatus.choices}

    def render(column: str, value: Any) -> Any:
        if value is None:
            return None
        if column == "gender":
            return genders.get(value, value)
        if column == "preferred_channel":
            return channels.get(value, value)
        if column == "status":
            return statuses.get(value, value)
        if column == "channel":
            return channel_label(value)
        if column == "source":
            return source_label(value)
        if column == "assigned_manager":
            return managers(value)
        if column == "amount":
            try:
                number = Decimal(value)
            except InvalidOperation:
                return value
            return number if number.is_finite() else value
        if isinstance(value, dt.datetime):
            return local_moment(value).replace(tzinfo=None)
        if isinstance(value, list):
            return spreadsheet_joined(value, "; ")
        return value

    return render


def _manager_names() -> Callable[[int | None], str]:
    """A user's name by id (full name, else the username), each looked up once."""
    names: dict[int, str] = {}

    def name(pk: int | None) -> str:
        if pk is None:
            return ""
        if pk not in names:
            user = get_user_model().objects.filter(pk=pk).first()
            names[pk] = (
                (user.get_full_name() or user.get_username()) if user else str(pk)
            )
        return names[pk]

    return name


def _customers(
    actor: Any,
    policy: Policy,
    within: QuerySet[Any] | None,
    render: Render = _machine_value,
) -> Iterator[dict[str, Any]]:
    qs = _within(customer_list_with_tags(actor=actor), within)
    if not policy.sees_personal_data:
        # Never even decrypt what the role may not see.
        qs = qs.defer("name", "phone", "email", "address", "birthday")
    columns = export_columns("customers", policy)
    for customer in qs.iterator(chunk_size=CHUNK_SIZE):
        card = customer_card(customer, policy=policy)
        yield {c: render(c, card.get(c)) for c in columns}


def _orders(
    actor: Any,
    policy: Policy,
    within: QuerySet[Any] | None = None,
    render: Render = _machine_value,
) -> Iterator[dict[str, Any]]:
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
        _within(order_list(actor=actor), within)
        .annotate(amount_text=Cast("amount", output_field=TextField()))
        .values_list(*fields)
    )
    for values_row in values.iterator(chunk_size=CHUNK_SIZE):
        row = dict(zip(fields, values_row, strict=True))
        row["customer"] = customer_ref(row.pop("customer_id"), policy=policy)
        row["amount"] = _amount(row.pop("amount_text"))
        if policy.sees_personal_data:
            # As customer_card shows the customer's own phone: full or masked.
            phone = row.pop("customer__phone")
            row["customer_phone"] = customer_phone(phone, policy=policy)
        yield {c: render(c, row[c]) for c in columns}


def _within(qs: QuerySet[Any], within: QuerySet[Any] | None) -> QuerySet[Any]:
    """``qs`` (the actor's scope) narrowed to the records of ``within`` (of the
    same model): narrowed only, so ``within`` can never widen what the actor
    may see."""
    if within is None:
        return qs
    return qs.filter(pk__in=within.order_by().values("pk"))


def export_records(
    *,
    kind: str,
    actor: Any,
    within: QuerySet[Any] | None = None,
    for_people: bool = False,
) -> Iterator[dict[str, Any]]:
    """The rows of an export, as the actor may see them. ``within``: only
    these records (customers or orders: a segment's members, a list's filter).
    ``for_people``: values in words of the active language (see the module)."""
    policy = policy_for(actor)
    render = _people_value(_manager_names()) if for_people else _machine_value
    if kind == "customers":
        return _customers(actor, policy, within, render)
    return _orders(actor, policy, within, render)


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

    ``within`` narrows the export to these records (a segment's members, built
    on the same actor's scope); the columns, masking and record are the
    export's as always.
    """
    policy = export_check(kind=kind, fmt=fmt, actor=actor)
    record = ExportRecord.objects.create(
        actor=actor if actor.pk is not None else None,
        actor_label=actor.get_username(),
        role=policy.role.value if policy.role is not None else "",
        kind=kind,
        format=fmt,
        destination=destination[:500],
        status=ExportRecord.Status.RUNNING,
    )
    audit_log.info(
        "export %s started: %s as %s by %s (role %s) to %s",
        record.pk, kind, fmt, record.actor_label, record.role, record.destination,
    )  # fmt: skip
    total = None
    if progress:
        if kind == "customers":
            total = _within(customer_list(actor=actor), within).count()
        else:
            total = _within(order_list(actor=actor), within).count()

    with tqdm(
        total=total,
        unit=" " + pgettext("progress", "rows"),
        file=sys.stderr,
        disable=not progress,
        desc=(
            pgettext("progress", "customers")
            if kind == "customers"
            else pgettext("progress", "orders")
        ),
    ) as bar:
        export_write(
            record=record,
            actor=actor,
            out=out,
            within=within,
            on_rows=bar.update if progress else None,
        )
    return record


def export_write(
    *,
    record: ExportRecord,
    actor: Any,
    out: IO[Any] | TextSink,
    within: QuerySet[Any] | None = None,
    on_rows: Callable[[int], None] | None = None,
    max_rows: int | None = None,
) -> ExportRecord:
    """Write the rows of ``record`` (its kind, format and form) to ``out`` as
    ``actor`` may see them, and mark the record done or failed.

    ``on_rows(n)`` is told of every thousand rows written (a progress bar, a
    progress file); more than ``max_rows`` rows stop the export.
    """
    kind, fmt = record.kind, record.format
    policy = export_check(kind=kind, fmt=fmt, actor=actor)
    rows = export_records(
        kind=kind, actor=actor, within=within, for_people=record.for_people
    )
    counted = 0

    def counting() -> Iterator[dict[str, Any]]:
        nonlocal counted
        for row in rows:
            counted += 1
            if max_rows is not None and counted > max_rows:
                raise ValidationFailed(too_many_rows_message(max_rows))
            if on_rows is not None and counted % 1000 == 0:
                on_rows(1000)
            yield row
        if on_rows is not None:
            on_rows(counted % 1000)

    try:
        _WRITERS[fmt](out, export_columns(kind, policy), counting(), record.for_people)
    except BaseException as exc:
        _finish(record, actor=actor, status=ExportRecord.Status.FAILED, rows=counted)
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
    _finish(record, actor=actor, status=ExportRecord.Status.DONE, rows=counted)
    audit_log.info("export %s done: %s rows", record.pk, counted)
    return record


def _finish(record: ExportRecord, *, actor: Any, status: str, rows: int) -> None:
    """Mark the export done or failed and add it to the audit log (one event
    per export: its rows, the role whose view it applied, its filters' names)."""
    with transaction.atomic():
        record.status = status
        record.rows = rows
        record.finished_at = timezone.now()
        record.save(update_fields=["status", "rows", "finished_at"])
        export_finished(
            actor=actor,
            export_id=record.pk,
            kind=record.kind,
            fmt=record.format,
            rows=rows,
            status=status,
            role_applied=record.role,
            query=record.query,
            for_people=record.for_people,
        )


def too_many_rows_message(max_rows: int) -> str:
    return _(
        "an export holds at most %(max)s rows: narrow the list with its filters"
    ) % {"max": f"{max_rows:,}"}
