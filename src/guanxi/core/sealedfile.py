"""Files encrypted at rest in 64 KiB chunks, read back with random access.

A sealed file is a header and then chunks of AES-GCM ciphertext::

    GXS1 | len(key id) (1 byte) | key id | salt (16 bytes)
    chunk 0 | chunk 1 | … | chunk n-1       (each 64 KiB of plaintext + 16-byte tag;
                                             the last one shorter, maybe empty)

Each file has its own key, derived with HKDF-SHA256 from the encryption key
named in the header, the file's random salt and the ``context`` (what the file
is: ``ingest.ImportJob.file``), so a file copied to another purpose does not
open. Chunk ``i`` is sealed with the nonce ``i`` (11 bytes) followed by a
final-chunk flag (1 byte), and the header is bound in as associated data: a
chunk moved to another place, a chunk dropped from the end (the new last chunk
was not sealed as final) or an extra chunk appended, a changed byte anywhere,
all fail to open. The construction is the STREAM scheme of Hoang, Reyhanitabar,
Rogaway and Vizár (2015), as in Tink's streaming AEAD.

:class:`SealedReader` is a seekable binary file over a sealed file that holds one
decrypted chunk at a time (bounded memory for any size): CSV reading makes
several passes and XLSX reading (a ZIP) jumps about; neither needs a decrypted
copy on disk.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from guanxi.core.crypto import encryption_key, encryption_key_id
from guanxi.core.errors import DecryptionError

__all__ = [
    "CHUNK",
    "MAGIC",
    "SealedReader",
    "is_sealed",
    "sealed_chunks",
    "sealed_key_id",
    "sealed_write",
]

MAGIC = b"GXS1"
#: Plaintext bytes per chunk.
CHUNK = 64 * 1024
_TAG = 16
_SALT = 16
_SEALED_CHUNK = CHUNK + _TAG


def _file_key(key: bytes, salt: bytes, context: str) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=salt,
        info=b"guanxi sealed file\x00" + context.encode("utf-8"),
    ).derive(key)
    return AESGCM(derived)


def _nonce(index: int, final: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def _chunks(source: IO[bytes] | Iterable[bytes]) -> Iterable[bytes]:
    """``source`` cut into CHUNK-sized pieces (the last may be shorter)."""
    if hasattr(source, "read"):
        while True:
            piece = source.read(CHUNK)
            if not piece:
                return
            while len(piece) < CHUNK:
                more = source.read(CHUNK - len(piece))
                if not more:
                    break
                piece += more
            yield piece
        return
    pending = b""
    for data in source:
        pending += data
        while len(pending) >= CHUNK:
            yield pending[:CHUNK]
            pending = pending[CHUNK:]
    if pending:
        yield pending


def sealed_chunks(
    source: IO[bytes] | Iterable[bytes],
    *,
    context: str,
    key_id: str | None = None,
) -> Iterator[bytes]:
    """``source`` (a binary file or an iterable of byte strings) sealed under
    the encryption key ``key_id`` (the current one by default): the header,
    then each sealed chunk. Holds two chunks at most."""
    kid = key_id or encryption_key_id()
    raw_id = kid.encode("ascii")
    salt = os.urandom(_SALT)
    header = MAGIC + bytes([len(raw_id)]) + raw_id + salt
    aead = _file_key(encryption_key(kid), salt, context)
    yield header
    index = 0
    previous: bytes | None = None
    for piece in _chunks(source):
        if previous is not None:
            yield aead.encrypt(_nonce(index, False), previous, header)
            index += 1
        previous = piece
    yield aead.encrypt(_nonce(index, True), previous or b"", header)


def sealed_write(
    out: IO[bytes],
    source: IO[bytes] | Iterable[bytes],
    *,
    context: str,
    key_id: str | None = None,
) -> None:
    """:func:`sealed_chunks` written to ``out``."""
    for sealed in sealed_chunks(source, context=context, key_id=key_id):
        out.write(sealed)


def is_sealed(head: bytes) -> bool:
    """Whether a file starting with ``head`` (its first bytes) is sealed."""
    return head.startswith(MAGIC)


def sealed_key_id(path: Path) -> str:
    """The id of the encryption key a sealed file is sealed under."""
    with path.open("rb") as fh:
        head = fh.read(5 + 255)
    if not is_sealed(head) or len(head) < 5:
        raise DecryptionError("the stored file is not a sealed file")
    return head[5 : 5 + head[4]].decode("ascii", "replace")


class SealedReader(io.RawIOBase):
    """A sealed file read (and sought) as its plaintext; one chunk in memory.
    A damaged or tampered chunk raises :class:`DecryptionError` when it is
    read; opening checks the header and the last chunk (so a truncated file
    is refused at once)."""

    def __init__(self, raw: IO[bytes], *, context: str) -> None:
        super().__init__()
        self._raw = raw
        raw.seek(0)
        head = raw.read(5)
        if len(head) < 5 or not is_sealed(head):
            raise DecryptionError(f"{context}: the stored file is not sealed")
        raw_id = raw.read(head[4])
        salt = raw.read(_SALT)
        if len(raw_id) != head[4] or len(salt) != _SALT:
            raise DecryptionError(f"{context}: the stored file is damaged")
        self._header = head + raw_id + salt
        kid = raw_id.decode("ascii", "replace")
        try:
            key = encryption_key(kid)
        except KeyError:
            raise DecryptionError(
                f"{context}: encryption key {kid!r} is not configured"
            ) from None
        self._aead = _file_key(key, salt, context)
        self._context = context
        body = raw.seek(0, io.SEEK_END) - len(self._header)
        # Every chunk but the last is full; the last holds at least its tag.
        self._chunks = max(1, -(-body // _SEALED_CHUNK))
        last = body - (self._chunks - 1) * _SEALED_CHUNK
        if last < _TAG:
            raise DecryptionError(f"{context}: the stored file is damaged")
        self._size = (self._chunks - 1) * CHUNK + last - _TAG
        self._pos = 0
        self._cached = -1
        self._plain = b""
        self._chunk(self._chunks - 1)

    def _chunk(self, index: int) -> bytes:
        if index != self._cached:
            self._raw.seek(len(self._header) + index * _SEALED_CHUNK)
            sealed = self._raw.read(_SEALED_CHUNK)
            final = index == self._chunks - 1
            try:
                self._plain = self._aead.decrypt(
                    _nonce(index, final), sealed, self._header
                )
            except InvalidTag:
                self._cached = -1
                raise DecryptionError(
                    f"{self._context}: the stored file is damaged or was changed"
                ) from None
            self._cached = index
        return self._plain

    def verify(self) -> None:
        """Open every chunk once (a damaged file is refused before any of it
        is used); one chunk in memory at a time."""
        for index in range(self._chunks):
            self._chunk(index)

    @property
    def size(self) -> int:
        """The plaintext's size in bytes."""
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError(f"invalid whence ({whence})")
        if pos < 0:
            raise ValueError("negative seek position")
        self._pos = pos
        return pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._pos >= self._size:
            return 0
        index, start = divmod(self._pos, CHUNK)
        plain = self._chunk(index)
        n = min(len(buffer), len(plain) - start)
        buffer[:n] = plain[start : start + n]
        self._pos += n
        return n

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
            self._plain = b""
        super().close()
