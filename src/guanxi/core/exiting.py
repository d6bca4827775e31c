"""Ending a command process that has finished its work, without the
interpreter's teardown.

A ``guanxi score`` at a million customers has gigabytes of heap and the
loaded code of pandas, scikit-learn, Ibis, DuckDB and Arrow. When Python
finishes normally it tears all of that down object by object — modules,
their dictionaries, every object still reachable, a last garbage collection
— which took seconds after the run had ended and its output was printed
(docs/benchmarks/score.md). Nothing in that teardown writes data: the
database work is committed and closed before it.

:func:`exit_after_closing` closes what holds data explicitly — Django's
database connections (on SQLite the last one to close checkpoints the
write-ahead log into the database file), the task queue's storage, the log
handlers, standard output and error — and then ends the process with
``os._exit``, which skips the teardown. Only the command line calls it, after
a command returned; never inside a server, worker or test process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import NoReturn

__all__ = ["exit_after_closing"]


def exit_after_closing(code: int = 0) -> NoReturn:
    """Flush and close everything this process writes to, then end it."""
    from django.db import connections

    connections.close_all()
    try:
        from huey.contrib.djhuey import HUEY
    except ImportError:  # pragma: no cover - the queue is always installed
        pass
    else:
        close = getattr(HUEY.storage, "close", None)
        if callable(close):
            close()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        # Closed, or its reader went away: nothing more to write there.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    # Everything is written and closed above; the interpreter's teardown
    # would only free memory the operating system takes back anyway.
    os._exit(code)
