"""Ticket attachments as files: what a file is (by its content, never by its
name or the type a client claims), a name safe to show, and the encrypted
store under ``GUANXI_DATA_DIR/attachments/``.

A stored file is the plain bytes sealed with the current encryption key
(:func:`guanxi.core.crypto.encrypt_bytes`, bound to :data:`CONTEXT`), by a
random name, mode 0600. It is written to a temporary file beside its place,
flushed, and renamed into place, so a crash leaves either no file or a whole
one; the write that adds the rows removes the files again when it rolls back
(:func:`files_guard`). Files are read whole into memory: each is at most
``GUANXI_ATTACHMENT_MAX_BYTES`` (5 MB by default).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core.crypto import BYTES_PREFIX, decrypt_bytes, encrypt_bytes
from guanxi.core.errors import DomainError, ValidationFailed
from guanxi.core.files import private_folder

__all__ = [
    "ALLOWED",
    "CONTEXT",
    "AttachmentLimits",
    "FileIn",
    "FileRefused",
    "StoredFile",
    "UploadTooLarge",
    "attachment_limits",
    "clean_name",
    "file_read",
    "file_reencrypt",
    "file_remove",
    "file_write",
    "files_guard",
    "sniff",
    "stored_files_older",
    "stream_in",
    "too_large_message",
]

#: What the encryption of a stored attachment is bound to.
CONTEXT = "feedback.Attachment.file"
MB = 1024 * 1024
#: Sniffed type → the extension a stored name gets.
ALLOWED = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}
#: Longest cleaned file name (characters, extension included).
MAX_NAME = 120
_CHUNK = 64 * 1024
#: Markup a browser would sniff as HTML or SVG in a "text" file.
_MARKUP = re.compile(
    rb"<\s*(!doctype|html|head|body|script|svg|iframe|object|embed|style|meta|"
    rb"\?xml|a\s|img\s|link\s)",
    re.IGNORECASE,
)
_TEXT_CONTROLS = frozenset(range(32)) - {9, 10, 12, 13}


@dataclass(frozen=True)
class AttachmentLimits:
    max_bytes: int
    per_upload: int
    per_ticket: int

    @property
    def max_mb(self) -> int:
        return max(1, self.max_bytes // MB)

    @property
    def max_request_bytes(self) -> int:
        """The largest request body an upload may be (read no further)."""
        return self.per_upload * self.max_bytes + 256 * 1024


def attachment_limits() -> AttachmentLimits:
    """``GUANXI_ATTACHMENT_MAX_BYTES`` (5 MB), ``…_PER_UPLOAD`` (5) and
    ``…_PER_TICKET`` (20)."""
    return AttachmentLimits(
        max_bytes=int(getattr(settings, "GUANXI_ATTACHMENT_MAX_BYTES", 5 * MB)),
        per_upload=int(getattr(settings, "GUANXI_ATTACHMENT_PER_UPLOAD", 5)),
        per_ticket=int(getattr(settings, "GUANXI_ATTACHMENT_PER_TICKET", 20)),
    )


def too_large_message() -> str:
    """Said when an upload's body is larger than the limits allow."""
    limits = attachment_limits()
    return _("The upload is larger than %(mb)d MB (%(n)d files of %(each)d MB).") % {
        "mb": limits.max_request_bytes // MB,
        "n": limits.per_upload,
        "each": limits.max_mb,
    }


def _text(head: bytes) -> bool:
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if any(b in _TEXT_CONTROLS for b in body):
        return False
    if _MARKUP.search(body) or body.lstrip().startswith(b"<"):
        return False
    for codec in ("utf-8", "gb18030"):  # GB18030: text files saved on Windows
        try:
            body.decode(codec)
        except UnicodeDecodeError:
            continue
        return True
    return False


def sniff(data: bytes) -> str | None:
    """The allowed type ``data`` is, by its first bytes (the whole of a text
    file is checked), or None: anything else (HTML, SVG, executables,
    archives, Office files) is refused."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if _text(data):
        return "text/plain"
    return None


def clean_name(raw: Any, content_type: str) -> str:
    """A name safe to show and to offer in a download: the last part of a
    path, no control or direction characters, at most :data:`MAX_NAME`
    characters, and the extension of what the content is (``a.exe`` that is
    a PDF becomes ``a.pdf``)."""
    text = unicodedata.normalize("NFC", str(raw or ""))
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(
        " " if unicodedata.category(c) in ("Zl", "Zp") or c in "\t\r\n" else c
        for c in text
        if not unicodedata.category(c).startswith("C") or c in "\t\r\n"
    )
    text = " ".join(text.split()).strip(" .")
    stem = text.rsplit(".", 1)[0] if "." in text else text
    stem = stem.strip(" .") or "file"
    ext = ALLOWED[content_type]
    return stem[: MAX_NAME - len(ext)].rstrip(" .") + ext


class UploadTooLarge(DomainError):
    """An upload's body beyond the limits, refused before it is read."""

    status_code = 413


class FileRefused(ValidationFailed):
    """One file of an upload broke a rule: ``rule`` is ``size``, ``empty`` or
    ``type``."""

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message, field="files")
        self.rule = rule


@dataclass(frozen=True)
class FileIn:
    """One checked file, ready to store."""

    name: str
    content_type: str
    data: bytes
    sha256: str


def stream_in(number: int, upload: IO[bytes], name: Any, limit: int) -> FileIn:
    """Read one uploaded file in chunks, never more than ``limit`` + 1
    bytes, and check it. ``number`` (from 1) names it in the messages, never
    its name (it can hold a person's)."""
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = upload.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    if size > limit:
        raise FileRefused(
            _("File %(n)d is larger than %(mb)d MB.")
            % {"n": number, "mb": max(1, limit // MB)},
            rule="size",
        )
    data = b"".join(parts)
    if not data:
        raise FileRefused(_("File %(n)d is empty.") % {"n": number}, rule="empty")
    kind = sniff(data)
    if kind is None:
        raise FileRefused(
            _("File %(n)d is not an allowed type (JPEG, PNG, GIF, WebP, PDF or text).")
            % {"n": number},
            rule="type",
        )
    return FileIn(
        name=clean_name(name, kind),
        content_type=kind,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _root() -> Path:
    return Path(settings.DATA_DIR) / "attachments"


def _path(stored_name: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{32}", stored_name):
        raise ValueError("not an attachment's stored name")
    return _root() / stored_name


def _replace(path: Path, sealed: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(sealed)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


class _Written(threading.local):
    """The files written by the writes now running on this thread."""

    def __init__(self) -> None:
        self.stack: list[list[Path]] = []


_written = _Written()


def file_write(data: bytes) -> str:
    """Store ``data`` encrypted under a new random name; returns the name
    (``ab/<32 hex>``, relative to the attachments folder)."""
    token = secrets.token_hex(16)
    stored_name = f"{token[:2]}/{token}"
    path = _path(stored_name)
    private_folder(path.parent)
    _replace(path, encrypt_bytes(data, context=CONTEXT))
    if _written.stack:
        _written.stack[-1].append(path)
    return stored_name


@contextlib.contextmanager
def files_guard() -> Iterator[None]:
    """One transaction for a write that stores files: when it rolls back,
    the files it wrote are removed (no file without its row)."""
    _written.stack.append([])
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for path in _written.stack[-1]:
            path.unlink(missing_ok=True)
        raise
    finally:
        _written.stack.pop()


def file_read(stored_name: str) -> bytes:
    """The plain bytes of a stored file."""
    return decrypt_bytes(_path(stored_name).read_bytes(), context=CONTEXT)


def file_remove(stored_name: str) -> None:
    with contextlib.suppress(ValueError):
        _path(stored_name).unlink(missing_ok=True)


def file_reencrypt(stored_name: str, *, key_id: str) -> bool:
    """Seal a stored file again under ``key_id`` (the current key) if another
    key sealed it; whole file replaced by rename. True if it was rewritten."""
    path = _path(stored_name)
    try:
        stored = path.read_bytes()
    except FileNotFoundError:
        return False
    if stored.startswith(BYTES_PREFIX + key_id.encode("ascii") + b":"):
        return False
    _replace(
        path, encrypt_bytes(decrypt_bytes(stored, context=CONTEXT), context=CONTEXT)
    )
    return True


_STORED = re.compile(r"[0-9a-f]{32}")
#: What :func:`_replace` writes before the rename (``.<name>.<8 hex>.new``).
_TEMPORARY = re.compile(r"\.[0-9a-f]{32}\.[0-9a-f]{8}\.new")


@dataclass(frozen=True)
class StoredFile:
    """A file in the attachments folder: its stored name (``ab/<32 hex>``;
    "" for a temporary one left by a crashed write), where, how large."""

    stored_name: str
    path: Path
    size: int


def stored_files_older(*, than: float) -> Iterator[StoredFile]:
    """The files of the attachments folder last written before ``than`` (a
    POSIX time), folder by folder: stored files and the temporaries of
    crashed writes. Anything else found there is not ours and not listed."""
    root = _root()
    if not root.is_dir():
        return
    for folder in sorted(root.iterdir()):
        if not (folder.is_dir() and re.fullmatch(r"[0-9a-f]{2}", folder.name)):
            continue
        with os.scandir(folder) as entries:
            for entry in entries:
                stored = bool(_STORED.fullmatch(entry.name))
                if not (stored or _TEMPORARY.fullmatch(entry.name)):
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue
                info = entry.stat(follow_symlinks=False)
                if info.st_mtime >= than:
                    continue
                name = f"{folder.name}/{entry.name}" if stored else ""
                yield StoredFile(name, Path(entry.path), info.st_size)
