"""Uploaded import files encrypted at rest.

An upload of the web wizard waits on disk (mapping, preview, the task) for up
to a day and holds personal data, so it is stored sealed in 64 KiB chunks with
the encryption key (:mod:`guanxi.core.sealedfile`) and read back through a
seekable reader that decrypts one chunk at a time: CSV's passes and XLSX's
random access work on it as on a plain file, in bounded memory, and no
decrypted copy is written anywhere. Every chunk is checked before the import
reads a row, so a damaged or changed file is refused whole, with one message,
and nothing is imported.

A key rotation (``guanxi keys rotate``) seals the waiting uploads again under
the new key (:func:`upload_files_reencrypt`, registered by the app); a worker
reading a file meanwhile keeps its open copy (the new one replaces it by
rename).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.core.files.base import File
from django.utils.translation import gettext as _

from guanxi.core.errors import DecryptionError
from guanxi.core.sealedfile import (
    CHUNK,
    SealedReader,
    is_sealed,
    sealed_chunks,
    sealed_key_id,
)
from guanxi.ingest.errors import ImportRejected, RowError
from guanxi.ingest.models import ImportJob

__all__ = [
    "UPLOAD_CONTEXT",
    "damaged_upload_message",
    "upload_files_reencrypt",
    "upload_open",
    "upload_sealed",
]

#: What the encryption of a stored upload is bound to.
UPLOAD_CONTEXT = "ingest.ImportJob.file"


def damaged_upload_message() -> str:
    return _(
        "the stored upload is damaged or was changed after it was uploaded: "
        "nothing was imported; upload the file again"
    )


def _damaged() -> ImportRejected:
    return ImportRejected(
        [RowError(line=0, column="", value="", message=damaged_upload_message())]
    )


class _Sealing(File):  # type: ignore[type-arg]
    """An upload as the storage writes it: its chunks sealed on the way (the
    storage never sees the plaintext, and holds two chunks at a time)."""

    def __init__(self, upload: Any) -> None:
        super().__init__(None, name=upload.name)
        self._upload = upload

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        return sealed_chunks(self._upload.chunks(CHUNK), context=UPLOAD_CONTEXT)

    def multiple_chunks(self, chunk_size: int | None = None) -> bool:
        return True


def upload_sealed(upload: Any) -> File:  # type: ignore[type-arg]
    """What ``job.file.save`` stores for an uploaded file: sealed."""
    return _Sealing(upload)


class _UploadReader(SealedReader):
    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            return super().readinto(buffer)
        except DecryptionError:
            # Changed while it was read (it was whole when opened).
            raise _damaged() from None


def upload_open(job: ImportJob) -> IO[bytes]:
    """The job's upload, opened for reading as its plaintext; every chunk is
    checked first. An upload stored in clear (before uploads were sealed) is
    read as it is. Raises ImportRejected for a damaged or changed file."""
    raw = job.file.open("rb").file
    head = raw.read(4)
    raw.seek(0)
    if not is_sealed(head):
        return raw  # type: ignore[no-any-return]
    try:
        reader = _UploadReader(raw, context=UPLOAD_CONTEXT)
        reader.verify()
    except DecryptionError:
        raw.close()
        raise _damaged() from None
    return io.BufferedReader(reader, buffer_size=CHUNK)


def _reseal(path: Path, key_id: str) -> bool:
    """Seal the file at ``path`` again under ``key_id`` (a file in clear is
    sealed); replaced whole by rename. False when it needs nothing or cannot
    be opened (a damaged file stays as it is: its import refuses it)."""
    try:
        with path.open("rb") as fh:
            sealed = is_sealed(fh.read(4))
        if sealed and sealed_key_id(path) == key_id:
            return False
    except (FileNotFoundError, DecryptionError):
        return False
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        with path.open("rb") as src:
            source: IO[bytes] = src
            if sealed:
                reader = SealedReader(src, context=UPLOAD_CONTEXT)
                reader.verify()
                source = io.BufferedReader(reader, buffer_size=CHUNK)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                for piece in sealed_chunks(
                    source, context=UPLOAD_CONTEXT, key_id=key_id
                ):
                    out.write(piece)
                out.flush()
                os.fsync(out.fileno())
    except (FileNotFoundError, DecryptionError):
        temporary.unlink(missing_ok=True)
        return False
    os.replace(temporary, path)
    return True


def upload_files_reencrypt(
    *, key_id: str, after_pk: Any, limit: int
) -> tuple[Any, int]:
    """One batch of a key rotation: the uploads still on disk (waiting jobs)
    sealed again under ``key_id``. (last pk or None when done, files rewritten)."""
    jobs = ImportJob.objects.exclude(file="").order_by("pk")
    if after_pk is not None:
        jobs = jobs.filter(pk__gt=after_pk)
    batch = list(jobs.values_list("pk", "file")[:limit])
    rewritten = 0
    for _pk, name in batch:
        storage = ImportJob._meta.get_field("file").storage
        if _reseal(Path(storage.path(name)), key_id):
            rewritten += 1
    if len(batch) < limit:
        return None, rewritten
    return batch[-1][0], rewritten
