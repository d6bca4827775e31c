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
    # The driver manager's low-level API, not its DB-API module
    # (``adbc_driver_sqlite.dbapi``): that one imports pandas, 1.4 CPU
    # seconds at every start of this process for nothing it uses here.
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite
    import pyarrow as pa

    source, sink = sys.stdin.buffer, sys.stdout.buffer
    database = adbc_driver_sqlite.connect(path)
    connection = adbc.AdbcConnection(database)
    # As a DB-API connection: a transaction open until ``execute`` commits,
    # so the reads between two commits see one snapshot of the database.
    connection.set_autocommit(False)
    _run(adbc, pa, connection, "PRAGMA cache_size=-65536", [])
    try:
        while (size := _exactly(source, _LENGTH.size)) is not None:
            body = _exactly(source, _LENGTH.unpack(size)[0])
            if body is None:
                break
            # Our own parent's pipe: nothing else writes to it.
            op, sql, params, out = pickle.loads(body)
            kind, payload = b"O", b""
            try:
                if op == "read":
                    table = _run(adbc, pa, connection, sql, params, read=True)
                    with (
                        pa.OSFile(out, "wb") as sink_file,
                        pa.ipc.new_file(sink_file, table.schema) as writer,
                    ):
                        writer.write_table(table)
                    del table
                else:
                    _run(adbc, pa, connection, sql, params)
                    connection.commit()
            except Exception as error:  # sent back: the parent raises it
                kind = b"E"
                payload = pickle.dumps((type(error).__name__, str(error)))
            sink.write(kind)
            sink.write(_LENGTH.pack(len(payload)))
            sink.write(payload)
            sink.flush()
    finally:
        connection.close()
        database.close()


def _run(
    adbc: Any,
    pa: Any,
    connection: Any,
    sql: str,
    params: list[Any],
    *,
    read: bool = False,
) -> Any:
    """Run ``sql`` with ``params`` on ``connection``: its rows as a
    ``pyarrow.Table`` with ``read``, else None."""
    with adbc.AdbcStatement(connection) as statement:
        statement.set_sql_query(sql)
        if params:
            # One row of parameters, named by position (as the DB-API does).
            statement.bind(
                pa.RecordBatch.from_arrays(
                    [_parameter(pa, value) for value in params],
                    names=[str(i) for i in range(len(params))],
                )
            )
        if not read:
            statement.execute_update()
            return None
        handle, _rows = statement.execute_query()
        return pa.RecordBatchReader._import_from_c(handle.address).read_all()


def _parameter(pa: Any, value: Any) -> Any:
    """``value`` as an Arrow array of one element, built from its bytes:
    ``pa.array`` would import pandas (to look for its types) on first use."""
    if value is None:
        return pa.Array.from_buffers(pa.null(), 1, [None], null_count=1)
    if isinstance(value, bool | int):
        return pa.Array.from_buffers(
            pa.int64(), 1, [None, pa.py_buffer(struct.pack("<q", int(value)))]
        )
    if isinstance(value, float):
        return pa.Array.from_buffers(
            pa.float64(), 1, [None, pa.py_buffer(struct.pack("<d", value))]
        )
    if isinstance(value, str | bytes):
        data = value.encode() if isinstance(value, str) else value
        return pa.Array.from_buffers(
            pa.string() if isinstance(value, str) else pa.binary(),
            1,
            [None, pa.py_buffer(struct.pack("<ii", 0, len(data))), pa.py_buffer(data)],
        )
    raise TypeError(f"cannot bind a parameter of type {type(value).__name__}")


if __name__ == "__main__":
    _serve(sys.argv[1])
