"""A lease kept alive by a heartbeat file.

Work that runs in another process (a task worker) proves it is still alive by
touching a file every few seconds; whoever looks at the work reads the file's
age, and work whose file has not been touched for longer than the lease is
taken to be dead (its process was killed, its machine lost). A file rather
than a database row because the work itself may hold the database's only
write lock for minutes (an all-or-nothing import on SQLite), so a heartbeat
written to the database would wait behind it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from types import TracebackType

__all__ = ["Heartbeat", "seconds_since_beat"]


class Heartbeat:
    """Touch ``path`` now and then every ``every`` seconds, from a daemon thread,
    until the block ends. The file (private, 0600) stays with its last beat:
    remove it once the work's outcome is recorded, so that nobody sees the work
    unfinished and its heartbeat gone in between."""

    def __init__(self, path: Path, *, every: float) -> None:
        self.path = path
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.utime(fd)
        finally:
            os.close(fd)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            with contextlib.suppress(OSError):  # a full disk: the lease lapses
                self.beat()

    def __enter__(self) -> Heartbeat:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.beat()
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat {self.path.name}", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def seconds_since_beat(path: Path, *, now: float | None = None) -> float | None:
    """Seconds since ``path`` was last touched; None when there is no file."""
    try:
        touched = path.stat().st_mtime
    except FileNotFoundError:
        return None
    return (time.time() if now is None else now) - touched
