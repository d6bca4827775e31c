"""Python's cyclic garbage collector held off for one burst of allocations.

A bulk API request of 1,000 orders allocates some hundred thousand objects
(parsed JSON, clean values, the answer) that all die with the request. Each
700 of them that are still alive start a young collection, and every few
requests the collector walks the whole heap (the loaded code of Django and
every app: about 175,000 objects), 80–95 ms each time: 15–20 % of the request's
CPU in ``bench/bench_api.py`` (docs/benchmarks/api.md). Paused for the request,
it finds nothing to do afterwards that reference counting has not already done.

The pause is process-wide (``gc.disable``), so overlapping pauses from several
threads nest: the collector runs again when the last one ends, and only if it
was running when the first one began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]

_lock = threading.Lock()
_depth = 0
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off cyclic garbage collection for the ``with`` block."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
