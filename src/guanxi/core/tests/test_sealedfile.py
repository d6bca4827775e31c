"""Files sealed in chunks: round trip, random access, and every way a stored
file can be damaged or tampered with is refused."""

from __future__ import annotations

import io
import os
import tracemalloc

import pytest

from guanxi.core.errors import DecryptionError
from guanxi.core.sealedfile import CHUNK, SealedReader, sealed_key_id, sealed_write

CONTEXT = "test.file"


def _seal(data: bytes, context: str = CONTEXT) -> bytes:
    out = io.BytesIO()
    sealed_write(out, io.BytesIO(data), context=context)
    return out.getvalue()


def _open(stored: bytes, context: str = CONTEXT) -> SealedReader:
    return SealedReader(io.BytesIO(stored), context=context)


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17]
)
def test_round_trip_at_every_chunk_boundary(size: int) -> None:
    data = os.urandom(size)
    stored = _seal(data)
    assert size < 16 or data[:64] not in stored
    reader = _open(stored)
    assert reader.size == size
    assert io.BufferedReader(reader).read() == data


def test_iterable_source_gives_the_same_plaintext() -> None:
    data = os.urandom(2 * CHUNK + 5)
    out = io.BytesIO()
    sealed_write(
        out, [data[:10], data[10 : CHUNK + 3], data[CHUNK + 3 :]], context=CONTEXT
    )
    assert _open(out.getvalue()).read() == data


def test_seek_and_read_anywhere() -> None:
    data = bytes(range(256)) * 1000
    reader = io.BufferedReader(_open(_seal(data)), buffer_size=4096)
    for pos in (CHUNK * 2 + 7, 5, CHUNK - 2, len(data) - 3):
        reader.seek(pos)
        assert reader.read(10) == data[pos : pos + 10]
    assert reader.seek(0, io.SEEK_END) == len(data)


def test_plaintext_is_not_in_the_stored_bytes() -> None:
    data = b"name,phone\n" + b"Zhang,13800138000\n" * 5000
    assert b"13800138000" not in _seal(data)


def test_key_id_is_in_the_header() -> None:
    from guanxi.core.crypto import encryption_key_id

    stored = _seal(b"x")
    assert stored.startswith(b"GXS1")
    assert stored[5 : 5 + stored[4]].decode() == encryption_key_id()


def test_sealed_key_id(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "f"
    path.write_bytes(_seal(b"abc"))
    from guanxi.core.crypto import encryption_key_id

    assert sealed_key_id(path) == encryption_key_id()


DAMAGED = "test.file: the stored file is damaged or was changed"


def test_a_changed_byte_is_refused() -> None:
    stored = bytearray(_seal(os.urandom(3 * CHUNK)))
    stored[len(stored) // 2] ^= 0x01
    reader = _open(bytes(stored))
    with pytest.raises(DecryptionError) as caught:
        reader.read()
    assert str(caught.value) == DAMAGED


def test_a_file_cut_at_a_chunk_boundary_is_refused() -> None:
    stored = _seal(os.urandom(3 * CHUNK + 10))
    header = len(stored) - (3 * (CHUNK + 16) + 10 + 16)
    with pytest.raises(DecryptionError) as caught:
        _open(stored[: header + 2 * (CHUNK + 16)])
    assert str(caught.value) == DAMAGED


def test_chunks_swapped_are_refused() -> None:
    stored = _seal(os.urandom(3 * CHUNK + 10))
    header = len(stored) - (3 * (CHUNK + 16) + 10 + 16)
    a = stored[header : header + CHUNK + 16]
    b = stored[header + CHUNK + 16 : header + 2 * (CHUNK + 16)]
    swapped = stored[:header] + b + a + stored[header + 2 * (CHUNK + 16) :]
    with pytest.raises(DecryptionError):
        _open(swapped).read()


def test_another_context_does_not_open() -> None:
    with pytest.raises(DecryptionError):
        _open(_seal(b"abc"), context="other")


def test_not_sealed() -> None:
    with pytest.raises(DecryptionError) as caught:
        _open(b"name,phone\n")
    assert str(caught.value) == "test.file: the stored file is not sealed"


def test_memory_stays_bounded_for_a_large_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Sealing and reading 32 MiB from disk holds a few chunks, not the file."""
    plain = tmp_path / "plain"
    with plain.open("wb") as fh:
        for _ in range(512):
            fh.write(os.urandom(CHUNK))
    sealed = tmp_path / "sealed"
    tracemalloc.start()
    try:
        with plain.open("rb") as src, sealed.open("wb") as out:
            sealed_write(out, src, context=CONTEXT)
        total = 0
        with SealedReader(sealed.open("rb"), context=CONTEXT) as reader:
            buffered = io.BufferedReader(reader)
            while piece := buffered.read(CHUNK):
                total += len(piece)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == 512 * CHUNK
    assert peak < 8 * CHUNK
