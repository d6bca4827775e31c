"""Exports asked for in the browser: queued, built by a worker, served to the
person who asked, deleted after some days.

One path whatever the size: :func:`export_request` checks everything a person
can get wrong (kind, format, the list's filter, the row cap, one export at a
time) before anything is written, records the export and queues
:func:`export_build` after commit. The worker renders the rows for people in
the language recorded at request time, writes them to a private file (0600)
under ``DATA_DIR/exports`` beside a progress file, and renames it into place
when it is complete. The file is served only to the person who made it
(:func:`export_file`) and deleted ``GUANXI_EXPORT_KEEP_DAYS`` days after
(:func:`exports_purge`, a daily periodic task).

The list's filters are the list's own: the query string goes through the same
FilterSet the list uses, on the same scoped queryset, so the export holds
exactly the rows the list shows, whatever filters the list learns later.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import secrets
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.commerce.filtersets import OrderFilterSet
from guanxi.commerce.selectors import order_scope
from guanxi.core.errors import DomainError, NotFound, ValidationFailed
from guanxi.core.files import private_folder
from guanxi.customers.filtersets import CustomerFilterSet
from guanxi.customers.selectors import customer_scope
from guanxi.exports.models import ExportRecord
from guanxi.exports.services import (
    KINDS,
    export_check,
    export_write,
    too_many_rows_message,
)

__all__ = [
    "BROWSER_FORMATS",
    "ExportBusy",
    "export_build",
    "export_file",
    "export_progress",
    "export_request",
    "exports_folder",
    "exports_purge",
]

BROWSER_FORMATS = ("csv", "xlsx")
#: A list's filters, and room for a selection of 1,000 ticked customers.
MAX_QUERY_LENGTH = 26_000
#: A queued or running export older than this has lost its worker: it no
#: longer blocks its person's next export, and the purge marks it failed.
STALE_AFTER = dt.timedelta(hours=2)
logger = logging.getLogger(__name__)
_ALIVE = (ExportRecord.Status.QUEUED, ExportRecord.Status.RUNNING)


class ExportBusy(DomainError):
    """The person already has an export being built."""

    status_code = 409


def exports_folder() -> Path:
    return private_folder(Path(settings.DATA_DIR) / "exports")


def _progress_path(record: ExportRecord) -> Path:
    return exports_folder() / f"export-{record.pk}.progress"


def _max_rows() -> int:
    return int(settings.GUANXI_EXPORT_MAX_ROWS)


def filtered(*, kind: str, actor: Any, query: str) -> QuerySet[Any]:
    """The records of the list ``kind`` that ``query`` (the list's query
    string) selects, in ``actor``'s scope, by the list's own FilterSet.
    A bad filter value raises :class:`ValidationFailed` with the list's message."""
    data = QueryDict(query)
    request = SimpleNamespace(user=actor, GET=data)
    if kind == "customers":
        return CustomerFilterSet(  # type: ignore[no-any-return]
            data, queryset=customer_scope(actor=actor), request=request
        ).qs
    return OrderFilterSet(  # type: ignore[no-any-return]
        data, queryset=order_scope(actor=actor), request=request
    ).qs


def export_request(
    *, actor: Any, kind: str, fmt: str, query: str, language: str
) -> ExportRecord:
    """Record an export for ``actor`` of the list ``kind`` filtered by
    ``query``, and queue it; refuse with a message, writing nothing, what
    cannot be exported."""
    if kind in KINDS and fmt not in BROWSER_FORMATS:
        raise ValidationFailed(
            _('unknown format "%(fmt)s": choose csv or xlsx') % {"fmt": fmt[:20]}
        )
    policy = export_check(kind=kind[:40], fmt=fmt[:20], actor=actor)
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationFailed(
            _("the filter is too long (at most %(max)s characters)")
            % {"max": f"{MAX_QUERY_LENGTH:,}"}
        )
    total = filtered(kind=kind, actor=actor, query=query).count()
    if total > _max_rows():
        raise ValidationFailed(too_many_rows_message(_max_rows()))
    with transaction.atomic():
        # One export per person at a time: the person's row is the lock.
        get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
        if ExportRecord.objects.filter(
            actor=actor,
            status__in=_ALIVE,
            started_at__gte=timezone.now() - STALE_AFTER,
        ).exists():
            raise ExportBusy(
                _(
                    "you already have an export being made: wait until it is "
                    "done, then ask for the next one"
                )
            )
        record = ExportRecord.objects.create(
            actor=actor,
            actor_label=actor.get_username(),
            role=policy.role.value if policy.role is not None else "",
            kind=kind,
            format=fmt,
            destination="browser",
            status=ExportRecord.Status.QUEUED,
            query=query,
            language=language,
            for_people=True,
            total=total,
        )
        from guanxi.exports.tasks import export_build_task

        transaction.on_commit(lambda: export_build_task(record.pk))
    logger.info(
        "export %s queued: %s as %s by %s (role %s), %s rows expected",
        record.pk, kind, fmt, record.actor_label, record.role, total,
    )  # fmt: skip
    return record


def export_build(*, record_id: int) -> None:
    """Build a queued export's file; safe to run twice (claimed once)."""
    claimed = ExportRecord.objects.filter(
        pk=record_id, status=ExportRecord.Status.QUEUED
    ).update(status=ExportRecord.Status.RUNNING)
    if not claimed:
        return
    record = ExportRecord.objects.select_related("actor").get(pk=record_id)
    folder = exports_folder()
    name = f"export-{record.pk}-{secrets.token_hex(8)}.{record.format}"
    partial = folder / f".{name}.part"
    progress = _progress_path(record)
    done = 0

    def on_rows(rows: int) -> None:
        nonlocal done
        done += rows
        progress.write_text(str(done))

    with (
        translation.override(record.language or settings.LANGUAGE_CODE),
        timezone.override(settings.TIME_ZONE),
    ):
        try:
            actor = record.actor
            if actor is None or not actor.is_active:
                raise ValidationFailed(_("the person who asked for it left"))
            within = filtered(kind=record.kind, actor=actor, query=record.query)
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            out: IO[Any] = (
                os.fdopen(fd, "wb")
                if record.format == "xlsx"
                else os.fdopen(fd, "w", encoding="utf-8-sig", newline="")
            )
            with out:
                export_write(
                    record=record, actor=actor, out=out, within=within,
                    on_rows=on_rows, max_rows=_max_rows(),
                )  # fmt: skip
            os.replace(partial, folder / name)
            record.file_name = name
            record.save(update_fields=["file_name"])
        except Exception as exc:
            message = (
                exc.message
                if isinstance(exc, DomainError)
                else _("the export stopped because of an internal error")
            )
            # The kind of error only: messages of libraries may quote values.
            logger.warning("export %s failed (%s)", record.pk, type(exc).__name__)
            ExportRecord.objects.filter(pk=record.pk).update(
                status=ExportRecord.Status.FAILED,
                message=message[:500],
                finished_at=timezone.now(),
            )
        finally:
            partial.unlink(missing_ok=True)
            progress.unlink(missing_ok=True)


def export_progress(record: ExportRecord) -> int:
    """Rows written so far (a thousand at a time while it runs)."""
    if record.status != ExportRecord.Status.RUNNING:
        return record.rows
    with contextlib.suppress(FileNotFoundError, ValueError):
        return int(_progress_path(record).read_text() or 0)
    return 0


def export_get(*, actor: Any, pk: int) -> ExportRecord:
    """One export of ``actor``'s own; anyone else's is not found."""
    record = ExportRecord.objects.filter(pk=pk, actor=actor, for_people=True).first()
    if record is None or actor is None or actor.pk is None:
        raise NotFound(_("no such export"))
    return record


def export_list(*, actor: Any) -> QuerySet[ExportRecord]:
    """``actor``'s own exports from the browser, newest first."""
    return ExportRecord.objects.filter(actor=actor, for_people=True)


def export_file(*, actor: Any, pk: int) -> tuple[Path, str]:
    """The file of one of ``actor``'s finished exports, and the name to save it as."""
    record = export_get(actor=actor, pk=pk)
    path = exports_folder() / record.file_name if record.file_name else None
    if record.status != ExportRecord.Status.DONE or path is None or not path.exists():
        raise NotFound(_("this export's file is not there (any more)"))
    when = timezone.localtime(record.started_at).strftime("%Y%m%d-%H%M")
    return path, f"{record.kind}-{when}.{record.format}"


def exports_purge(*, now: dt.datetime | None = None) -> int:
    """Delete export files older than ``GUANXI_EXPORT_KEEP_DAYS`` days (and
    leftovers no export refers to); fail exports whose worker was lost.
    Returns how many files were deleted."""
    now = now or timezone.now()
    keep = dt.timedelta(days=int(settings.GUANXI_EXPORT_KEEP_DAYS))
    ExportRecord.objects.filter(
        status__in=_ALIVE, started_at__lt=now - STALE_AFTER
    ).update(
        status=ExportRecord.Status.FAILED,
        message=_("the task worker stopped while this export was being made"),
        finished_at=now,
    )
    folder = exports_folder()
    deleted = 0
    for record in ExportRecord.objects.filter(finished_at__lt=now - keep).exclude(
        file_name=""
    ):
        (folder / record.file_name).unlink(missing_ok=True)
        record.file_name = ""
        record.save(update_fields=["file_name"])
        deleted += 1
    known = set(
        ExportRecord.objects.exclude(file_name="").values_list("file_name", flat=True)
    )
    for path in folder.iterdir():
        age = now.timestamp() - path.stat().st_mtime
        if path.name not in known and age > keep.total_seconds():
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
