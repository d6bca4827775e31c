"""Python's cyclic garbage collector held off for one burst of allocations.

A bulk API request of 1,000 orders keeps tens of thousands of objects alive
until its answer is built (parsed JSON, clean values, the answer), and all of
them die with the request. Meanwhile they set off 30–40 young collections (one
per 700 more objects made than freed) and, every few requests, a full one that
walks the whole heap — the loaded code of Django and every app, about 120,000
objects in a server process (40 ms), 175,000 in ``bench/bench_api.py``
(80–95 ms): 15–20 % of a bulk request's CPU there (docs/benchmarks/api.md).
Paused for the request, the collector finds little to do afterwards:
reference counting has freed the request's objects by then.

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
