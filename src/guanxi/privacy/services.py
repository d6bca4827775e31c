"""Data-subject requests: export (access, portability) and erasure of one
customer, and the requests' own records.

The export walks the personal-data registry (``guanxi.core.personal_data``):
every model an app declared, one customer's rows, every field but the keyed
hashes and the staff's own links. The erasure runs the registry's erasers in
one transaction: orders move to a tombstone customer (no name, phone or
address; the same purchase aggregates), everything else of the person is
deleted, and the keyed hashes of their phone and e-mail are kept so that an
import or an API create does not bring them back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
import zipfile
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit.selectors import customer_audit_events
from guanxi.audit.services import AuditAction, record
from guanxi.core.errors import ValidationFailed
from guanxi.core.personal_data import registered
from guanxi.exports.services import spreadsheet_safe
from guanxi.feedback.selectors import inbound_triage_for_email
from guanxi.privacy.choices import (
    RequestKind,
    RequestStatus,
)
from guanxi.privacy.erasure import (
    TRIAGE_LABEL,
    ErasureResult,
    customer_check,
    customer_email,
    customer_erase,
    dsar_check,
)
from guanxi.privacy.models import DataRequest, Erasure
from guanxi.privacy.retention import retention_purge

__all__ = [
    "ErasureResult",
    "customer_erase",
    "dsar_check",
    "dsar_export",
    "dsar_export_json",
    "dsar_export_zip",
    "dsar_export_zip_file",
    "dsar_export_zip_write",
    "request_complete",
    "request_open",
    "retention_purge",
]

EXPORT_FORMAT = "guanxi.dsar.v1"
#: Whose id in a row is another person's (a colleague's), not the customer's.
_STAFF_MODEL = "AUTH_USER_MODEL"


def _staff_field(field: Any) -> bool:
    from django.apps import apps

    related = getattr(field, "related_model", None)
    return related is not None and related is apps.get_model(
        getattr(settings, _STAFF_MODEL)
    )


def _export_fields(model: Any, exclude: frozenset[str]) -> list[str]:
    return [
        field.attname
        for field in model._meta.concrete_fields
        if field.name not in exclude and not _staff_field(field)
    ]


def dsar_export(*, customer_id: int, actor: Any, via: str) -> dict[str, Any]:
    """Everything Guanxi holds about one customer, by model (``records``) and
    the audit events about them (``audit``); audited as one export."""
    dsar_check(actor)
    customer_check(customer_id)
    records: dict[str, list[dict[str, Any]]] = {}
    for entry in sorted(registered(), key=lambda e: e.label):
        model = entry.model
        fields = _export_fields(model, entry.exclude)
        rows = model._base_manager.filter(**{entry.path: customer_id}).order_by("pk")
        records[entry.label] = list(rows.values(*fields))
    # E-mails in the feedback triage are no customer's: found by the address.
    records[TRIAGE_LABEL] = [
        *records.get(TRIAGE_LABEL, []),
        *inbound_triage_for_email(email=customer_email(customer_id)),
    ]
    audit = customer_audit_events(customer_id=customer_id)
    rows_total = sum(len(r) for r in records.values()) + len(audit)
    record(
        action=AuditAction.PRIVACY_EXPORTED,
        actor=actor,
        customer_id=customer_id,
        object_type="customer",
        object_id=customer_id,
        details={"via": via, "rows": rows_total},
    )
    return {
        "format": EXPORT_FORMAT,
        "customer": customer_id,
        "exported_at": timezone.now(),
        "records": records,
        "audit": audit,
    }


def dsar_export_json(data: dict[str, Any]) -> str:
    """The export as one JSON document (dates ISO 8601, amounts as text)."""
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value  # numbers stay numbers (a negative one is not a formula)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    return spreadsheet_safe(str(value))


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    # A BOM so that spreadsheet programs read the Chinese as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _zip_entry(name: str, moment: tuple[int, int, int, int, int, int]) -> Any:
    # What ``ZipFile.writestr(name, …)`` makes, dated by the export instead of
    # the clock, so that the same export gives the same bytes.
    entry = zipfile.ZipInfo(name, date_time=moment)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o600 << 16
    return entry


def dsar_export_zip_write(data: dict[str, Any], target: IO[bytes]) -> None:
    """Write the export to ``target`` (a seekable binary file) as a ZIP of
    CSV files, one per model and one of the audit events; every text cell
    guarded against spreadsheet formulas; and the customer's own files
    (ticket attachments) under ``files/<model>/``, one at a time (memory
    holds one file, never the archive). Entries are dated by the export."""
    at = timezone.localtime(data.get("exported_at") or timezone.now())
    moment = (at.year, at.month, at.day, at.hour, at.minute, at.second)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for label, rows in data["records"].items():
            columns = list(rows[0]) if rows else []
            archive.writestr(_zip_entry(f"{label}.csv", moment), _csv(rows, columns))
        audit_columns = ["at", "action", "object_type", "object_id", "details"]
        archive.writestr(
            _zip_entry("audit.csv", moment), _csv(data["audit"], audit_columns)
        )
        for entry in registered():
            if entry.files is None:
                continue
            for name, content in entry.files(int(data["customer"])):
                archive.writestr(
                    _zip_entry(f"files/{entry.label}/{name}", moment), content
                )


def dsar_export_zip(data: dict[str, Any]) -> bytes:
    """The ZIP of :func:`dsar_export_zip_write` in memory (small exports)."""
    buffer = io.BytesIO()
    dsar_export_zip_write(data, buffer)
    return buffer.getvalue()


def dsar_export_zip_file(data: dict[str, Any]) -> IO[bytes]:
    """The ZIP of :func:`dsar_export_zip_write` in a temporary file without a
    name (gone when it is closed, or when the process ends), read from its
    start: a download streams it, so memory holds one attachment at most."""
    spool = tempfile.TemporaryFile(prefix="guanxi-dsar-", suffix=".zip")  # noqa: SIM115
    try:
        dsar_export_zip_write(data, spool)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool


def _due(received: dt.date) -> dt.date:
    days = int(getattr(settings, "GUANXI_DSAR_DUE_DAYS", 30))
    return received + dt.timedelta(days=days)


@transaction.atomic
def request_open(*, actor: Any, kind: str, customer_id: int) -> DataRequest:
    """Record a person's request; due one month (``GUANXI_DSAR_DUE_DAYS``)
    after today."""
    dsar_check(actor)
    if kind not in RequestKind.values:
        raise ValidationFailed(_("Choose what the person asked for."), field="kind")
    customer_check(customer_id)
    today = timezone.localdate()
    user = actor if getattr(actor, "pk", None) is not None else None
    request = DataRequest.objects.create(
        kind=kind,
        customer_id=customer_id,
        received_on=today,
        due_on=_due(today),
        opened_by=user,
    )
    record(
        action=AuditAction.PRIVACY_REQUEST,
        actor=actor,
        customer_id=customer_id,
        object_type="datarequest",
        object_id=request.pk,
        details={"kind": kind, "status": RequestStatus.OPEN.value},
    )
    return request


@transaction.atomic
def request_complete(*, actor: Any, request: DataRequest, status: str) -> DataRequest:
    """Close a request as done or refused. An erasure request marked done
    erases the customer in the same transaction (unless erased already)."""
    dsar_check(actor)
    if status not in (RequestStatus.DONE, RequestStatus.REFUSED):
        raise ValidationFailed(_("Choose done or refused."), field="status")
    request = DataRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.OPEN:
        raise ValidationFailed(_("This request is closed already."))
    if (
        status == RequestStatus.DONE
        and request.kind == RequestKind.ERASURE
        and not Erasure.objects.filter(customer_id=request.customer_id).exists()
    ):
        customer_erase(
            customer_id=request.customer_id, actor=actor, via="web", request=request
        )
    user = actor if getattr(actor, "pk", None) is not None else None
    request.status = status
    request.completed_by = user
    request.completed_at = timezone.now()
    request.save(update_fields=["status", "completed_by", "completed_at"])
    record(
        action=AuditAction.PRIVACY_REQUEST,
        actor=actor,
        customer_id=request.customer_id,
        object_type="datarequest",
        object_id=request.pk,
        details={"kind": request.kind, "status": status},
    )
    return request
