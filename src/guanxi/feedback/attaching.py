"""Writes of ticket attachments: files added by staff (page or API), by the
customer on the public form, from an inbound e-mail; their removal with the
customer (erasure, retention); their re-encryption under a new key.

Every file of an upload is read and checked (:mod:`guanxi.feedback.files`)
before any is stored: one bad file refuses the upload and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.audit.services import AuditAction, record
from guanxi.core.errors import ValidationFailed
from guanxi.feedback.choices import AttachmentSource, EntryKind, Status
from guanxi.feedback.files import (
    FileIn,
    FileRefused,
    attachment_limits,
    file_read,
    file_reencrypt,
    file_remove,
    file_write,
    files_guard,
    stored_files_older,
    stream_in,
)
from guanxi.feedback.models import Attachment, Ticket, TicketEntry
from guanxi.feedback.selectors import (
    attachment_get,
    customer_attachment_get,
    ticket_get,
)
from guanxi.feedback.thread import entry_add, may_work

__all__ = [
    "AttachResult",
    "OrphanSweep",
    "Upload",
    "attachment_download",
    "attachment_download_by_link",
    "attachment_files_export",
    "attachment_files_reencrypt",
    "attachment_orphans_sweep",
    "attachments_add",
    "attachments_check",
    "attachments_erase",
    "attachments_from_mail",
    "attachments_store",
]

#: A file younger than this is never swept: its write may not have committed.
ORPHAN_MIN_AGE = dt.timedelta(hours=1)
#: Stored names looked up at once by the sweep.
_SWEEP_BATCH = 500

#: An upload: each file's stream and the name it came with.
Upload = Iterable[tuple[IO[bytes], Any]]


@dataclass(frozen=True)
class AttachResult:
    """What an upload added, and how many of its files were already on the
    ticket (kept once)."""

    added: list[Attachment]
    duplicates: int


def attachments_check(files: Upload) -> list[FileIn]:
    """Read and check an upload (at most the per-upload number of files,
    each within the size limit and of an allowed type). Raises
    :class:`ValidationFailed` naming the first rule broken."""
    limits = attachment_limits()
    found = list(files)
    if not found:
        raise ValidationFailed(_("Choose a file."), field="files")
    if len(found) > limits.per_upload:
        raise ValidationFailed(
            _("At most %(n)d files at a time.") % {"n": limits.per_upload},
            field="files",
        )
    return [
        stream_in(number, stream, name, limits.max_bytes)
        for number, (stream, name) in enumerate(found, 1)
    ]


def _room(ticket: Ticket, checked: list[FileIn]) -> tuple[list[FileIn], int]:
    """The files not yet on the ticket (each once), and how many were."""
    have = set(
        Attachment.objects.filter(ticket=ticket).values_list("sha256", flat=True)
    )
    new: list[FileIn] = []
    for item in checked:
        if item.sha256 not in have:
            have.add(item.sha256)
            new.append(item)
    return new, len(checked) - len(new)


def _count(ticket: Ticket) -> int:
    return Attachment.objects.filter(ticket=ticket).count()


def attachments_store(
    ticket: Ticket,
    checked: list[FileIn],
    *,
    source: str,
    now: dt.datetime,
    actor: Any = None,
    entry: TicketEntry | None = None,
) -> AttachResult:
    """Store checked files on ``ticket`` (the caller holds the ticket's row
    lock and runs this inside :func:`~guanxi.feedback.files.files_guard`).
    Refused when the ticket would hold more than the per-ticket number."""
    new, duplicates = _room(ticket, checked)
    limit = attachment_limits().per_ticket
    if _count(ticket) + len(new) > limit:
        raise ValidationFailed(
            _("A ticket holds at most %(n)d files.") % {"n": limit}, field="files"
        )
    added = [
        Attachment.objects.create(
            ticket=ticket,
            entry=entry,
            name=item.name,
            content_type=item.content_type,
            size=len(item.data),
            sha256=item.sha256,
            stored_name=file_write(item.data),
            source=source,
            added_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        for item in new
    ]
    return AttachResult(added=added, duplicates=duplicates)


def attachments_add(
    *,
    actor: Any,
    ticket_id: Any,
    files: Upload,
    source: str = AttachmentSource.STAFF,
    now: dt.datetime | None = None,
) -> AttachResult:
    """Files added by staff to a ticket in their scope (the ticket page or
    the API). Bad input changes nothing; one transaction, and no file is
    left on disk when it rolls back."""
    may_work(actor)
    ticket_get(actor=actor, pk=ticket_id)  # 404 outside the scope, first
    checked = attachments_check(files)
    with files_guard():
        ticket = Ticket.objects.select_for_update().get(pk=int(ticket_id))
        if ticket.status in (Status.CONFIRMED, Status.CLOSED_UNSOLVED):
            raise ValidationFailed(_("This ticket is closed."))
        return attachments_store(
            ticket, checked, source=source, now=now or timezone.now(), actor=actor
        )


def attachments_from_mail(
    ticket: Ticket,
    parts: list[tuple[str, bytes]],
    *,
    entry: TicketEntry | None,
    now: dt.datetime,
) -> int:
    """Keep the attachments of an inbound e-mail that pass the checks (up to
    the per-upload and per-ticket numbers); the others are dropped and the
    ticket gets a note saying how many and why. Inside the receiving
    transaction (the caller's :func:`files_guard`). How many were kept."""
    limits = attachment_limits()
    good: list[FileIn] = []
    refused: dict[str, int] = {}
    for number, (name, data) in enumerate(parts, 1):
        try:
            good.append(stream_in(number, io.BytesIO(data), name, limits.max_bytes))
        except FileRefused as error:
            refused[error.rule] = refused.get(error.rule, 0) + 1
    new, _duplicates = _room(ticket, good)
    room = max(0, min(limits.per_upload, limits.per_ticket - _count(ticket)))
    if len(new) > room:
        refused["count"] = len(new) - room
        new = new[:room]
    attachments_store(ticket, new, source=AttachmentSource.EMAIL, now=now, entry=entry)
    notes = []
    for reason, n in refused.items():
        if reason == "type":
            notes.append(
                ngettext(
                    "%(n)d attachment refused: not an allowed type",
                    "%(n)d attachments refused: not an allowed type",
                    n,
                )
                % {"n": n}
            )
        elif reason == "size":
            notes.append(
                ngettext(
                    "%(n)d attachment refused: larger than %(mb)d MB",
                    "%(n)d attachments refused: larger than %(mb)d MB",
                    n,
                )
                % {"n": n, "mb": limits.max_mb}
            )
        elif reason == "empty":
            notes.append(
                ngettext(
                    "%(n)d attachment refused: empty",
                    "%(n)d attachments refused: empty",
                    n,
                )
                % {"n": n}
            )
        else:
            notes.append(
                ngettext(
                    "%(n)d attachment refused: too many files",
                    "%(n)d attachments refused: too many files",
                    n,
                )
                % {"n": n}
            )
    if notes:
        entry_add(ticket, EntryKind.NOTE, now=now, text="\n".join(notes))
    return len(new)


def attachments_erase(customer_id: int, tombstone_id: int) -> int:
    """Eraser (``guanxi.core.personal_data``): a customer's attachments, rows
    now and files once the erasure commits (a rolled-back erasure keeps
    both). How many rows."""
    rows = Attachment.objects.filter(ticket__customer_id=customer_id)
    names = list(rows.values_list("stored_name", flat=True))
    deleted, _by_model = rows.delete()

    def remove() -> None:
        for name in names:
            file_remove(name)

    transaction.on_commit(remove)
    return deleted


def attachment_files_reencrypt(
    *, key_id: str, after_pk: Any, limit: int
) -> tuple[Any, int]:
    """Seal again under ``key_id`` the files of up to ``limit`` attachments
    after ``after_pk`` (key rotation; each file replaced whole by rename).
    Returns the last primary key looked at (None: none left) and how many
    files were rewritten."""
    qs = Attachment.objects.order_by("pk")
    if after_pk is not None:
        qs = qs.filter(pk__gt=after_pk)
    last: Any = None
    changed = 0
    for pk, stored_name in qs.values_list("pk", "stored_name")[:limit]:
        last = pk
        changed += file_reencrypt(stored_name, key_id=key_id)
    return last, changed


def attachment_download(
    *, actor: Any, ticket_id: Any, pk: Any, via: str
) -> tuple[Attachment, bytes]:
    """One attachment and its plain bytes, for someone who may see the
    ticket and its files in full; audited (who, which ticket; never the
    file's name)."""
    found = attachment_get(actor=actor, ticket_id=ticket_id, pk=pk)
    return found, _given(found, actor=actor, via=via)


def attachment_download_by_link(*, ticket_id: int, pk: Any) -> tuple[Attachment, bytes]:
    """One file the customer sent on the ticket their signed link names, and
    its plain bytes (staff files are not theirs to see: missing); audited as
    a staff download is, with no actor and ``via`` ``link``."""
    found = customer_attachment_get(ticket_id=ticket_id, pk=pk)
    return found, _given(found, actor=None, via="link")


def _given(found: Attachment, *, actor: Any, via: str) -> bytes:
    data = file_read(found.stored_name)
    record(
        action=AuditAction.ATTACHMENT_DOWNLOADED,
        actor=actor,
        customer_id=found.ticket.customer_id,
        object_type="ticket",
        object_id=found.ticket_id,
        details={"via": via},
    )
    return data


def attachment_files_export(customer_id: int) -> Iterator[tuple[str, bytes]]:
    """A customer's attachments for the data-subject export's ZIP, one at a
    time: ``<ticket>-<attachment>-<name>`` and the plain bytes."""
    rows = Attachment.objects.filter(ticket__customer_id=customer_id).order_by("pk")
    for a in rows.iterator(chunk_size=100):
        yield f"{a.ticket_id}-{a.pk}-{a.name}", file_read(a.stored_name)


@dataclass(frozen=True)
class OrphanSweep:
    """What a sweep removed (or, on a dry run, would remove)."""

    dry_run: bool
    files: int
    bytes: int

    def as_dict(self) -> dict[str, Any]:
        """The command line's ``--json`` object."""
        return {"dry_run": self.dry_run, "files": self.files, "bytes": self.bytes}


def _orphans(batch: list[Any]) -> list[Any]:
    kept = set(
        Attachment.objects.filter(
            stored_name__in=[f.stored_name for f in batch if f.stored_name]
        ).values_list("stored_name", flat=True)
    )
    return [f for f in batch if f.stored_name not in kept]


def attachment_orphans_sweep(
    *, dry_run: bool, via: str, now: dt.datetime | None = None
) -> OrphanSweep:
    """Remove the files of the attachments folder that no attachment row
    names, last written more than :data:`ORPHAN_MIN_AGE` ago: those of an
    upload whose outer transaction rolled back after the file was written,
    of an erasure whose removal after commit failed, and the temporaries of
    a crashed write. A younger file is never touched (its write may still be
    running). Audited with the counts only (``attachment.swept``)."""
    moment = now or timezone.now()
    than = (moment - ORPHAN_MIN_AGE).timestamp()
    files = size = 0
    batch: list[Any] = []

    def settle() -> None:
        nonlocal files, size
        for orphan in _orphans(batch):
            if not dry_run:
                orphan.path.unlink(missing_ok=True)
            files += 1
            size += orphan.size
        batch.clear()

    for found in stored_files_older(than=than):
        batch.append(found)
        if len(batch) >= _SWEEP_BATCH:
            settle()
    settle()
    if files and not dry_run:
        record(
            action=AuditAction.ATTACHMENT_SWEPT,
            actor=None,
            object_type="attachments",
            details={"count": files, "via": via},
        )
    return OrphanSweep(dry_run=dry_run, files=files, bytes=size)
