"""Arrow reads of the embedded SQLite database in a process of their own.

The ADBC SQLite driver carries its own copy of SQLite, linked into it. Two
copies of SQLite in one process must never open the same database file
(https://sqlite.org/howtocorrupt.html, "multiple copies of SQLite linked into
the same application"): POSIX locks belong to the process, so when one copy
closes its file the other copy's locks go with it, and a copy that believes
it holds the last connection checkpoints and deletes the write-ahead log
under the other copy's feet. Here that lost every row Django's connection
wrote after an ADBC connection closed (a scoring run's snapshots, while the
run said it had written them).

So the ADBC connection lives in a child process started for it, with no
other SQLite in it: :class:`SqliteReader` sends it SQL over a pipe and gets
the result back as an Arrow IPC file (written beside the database, in its
private folder, mapped by the parent and deleted at once). Between processes SQLite's own locking holds, as for any two
programs sharing the file.

This module is also the child (``python -m guanxi.core.sqlite_reader PATH``):
it imports nothing of Django or the rest of Guanxi.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

__all__ = ["SqliteReader", "SqliteReaderError"]

_LENGTH = struct.Struct("<Q")
_STOP_SECONDS = 30


class SqliteReaderError(RuntimeError):
    """A statement the reader process refused, or the process itself ended."""


class SqliteReader:
    """One ADBC connection to the SQLite database at ``path``, in a child
    process. ``read`` returns a ``pyarrow.Table``; ``execute`` runs a
    statement and commits. Like the connection it stands for, reads without a
    commit in between see one snapshot of the database. Safe to share between
    threads (one request at a time); each reader is its own process, so two
    readers work in parallel."""

    def __init__(self, path: str) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, env.get("PYTHONPATH", "")) if p
        )
        self._process = subprocess.Popen(
            [sys.executable, "-m", "guanxi.core.sqlite_reader", path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._lock = threading.Lock()
        self._folder = str(Path(path).resolve().parent)

    def read(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The rows of ``sql`` (``?`` parameters) as a ``pyarrow.Table``."""
        import pyarrow as pa

        # The result comes through a file beside the database (its folder is
        # private), mapped here: through the pipe, hundreds of megabytes
        # went 64 KB at a time, a switch between the processes for each.
        handle, name = tempfile.mkstemp(prefix=".gx-read-", dir=self._folder)
        os.close(handle)
        try:
            self._call("read", sql, params, name)
            with pa.memory_map(name) as source:
                return pa.ipc.open_file(source).read_all()
        finally:
            os.unlink(name)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run ``sql`` (``?`` parameters) and commit."""
        self._call("execute", sql, params)

    def close(self) -> None:
        """End the process (its connection closes with it)."""
        process = self._process
        if process.stdin is not None and not process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
        try:
            process.wait(timeout=_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def _call(self, op: str, sql: str, params: Sequence[Any], out: str = "") -> bytes:
        body = pickle.dumps(
            (op, sql, list(params), out), protocol=pickle.HIGHEST_PROTOCOL
        )
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        with self._lock:
            try:
                stdin.write(_LENGTH.pack(len(body)))
                stdin.write(body)
                stdin.flush()
            except (BrokenPipeError, ValueError):
                raise SqliteReaderError("the database reader process ended") from None
            kind = stdout.read(1)
            size = _exactly(stdout, _LENGTH.size)
            if not kind or size is None:
                raise SqliteReaderError("the database reader process ended")
            payload = _exactly(stdout, _LENGTH.unpack(size)[0])
            if payload is None:
                raise SqliteReaderError("the database reader process ended")
        if kind == b"E":
            name, message = pickle.loads(payload)
            raise SqliteReaderError(f"{name}: {message}")
        return payload


def _exactly(stream: IO[bytes], size: int) -> bytes | None:
    data = stream.read(size) if size else b""
    return data if len(data) == size else None


def _serve(path: str) -> None:
    """The child: answer requests on stdin until it closes."""
    import adbc_driver_sqlite.dbapi as adbc
    import pyarrow as pa

    source, sink = sys.stdin.buffer, sys.stdout.buffer
    connection = adbc.connect(path)
    cursor = connection.cursor()
    cursor.execute("PRAGMA cache_size=-65536")
    try:
        while (size := _exactly(source, _LENGTH.size)) is not None:
            body = _exactly(source, _LENGTH.unpack(size)[0])
            if body is None:
                break
            # Our own parent's pipe: nothing else writes to it.
            op, sql, params, out = pickle.loads(body)
            kind, payload = b"O", b""
            try:
                cursor.execute(sql, params or None)
                if op == "read":
                    table = cursor.fetch_arrow_table()
                    with (
                        pa.OSFile(out, "wb") as sink_file,
                        pa.ipc.new_file(sink_file, table.schema) as writer,
                    ):
                        writer.write_table(table)
                    del table
                else:
                    connection.commit()
            except Exception as error:  # sent back: the parent raises it
                kind = b"E"
                payload = pickle.dumps((type(error).__name__, str(error)))
            sink.write(kind)
            sink.write(_LENGTH.pack(len(payload)))
            sink.write(payload)
            sink.flush()
    finally:
        cursor.close()
        connection.close()


if __name__ == "__main__":
    _serve(sys.argv[1])
