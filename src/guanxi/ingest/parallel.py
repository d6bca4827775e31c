"""Reading and parsing a large orders file in a second process (two cores, one
import): the forked child reads and parses batches while the parent matches
customers and writes. The child never touches the database.

The child must not outlive its parent: if the parent is killed (SIGKILL, the
OOM killer), nobody reads the queue any more and the child would wait on it
forever, holding the parsed rows in memory. On Linux the kernel kills the
child with its parent (``PR_SET_PDEATHSIG``); everywhere, the child's waits on
the queue are bounded and it checks that its parent is still the one that
started it (``os.getppid()``).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections.abc import Generator, Iterator
from queue import Empty, Full
from typing import Any

from guanxi.ingest.batches import ParsedBatch
from guanxi.ingest.importers.base import Rows
from guanxi.ingest.importers.orders import OrderImporter
from guanxi.ingest.readers import Table

__all__ = ["FORK_FROM", "ChildFailed", "may_fork", "parsed_batches"]

# Orders files of at least this many rows are read and parsed in a second
# process while this one resolves customers and writes (two cores, one import).
FORK_FROM = 50_000
# How long the child waits on a full queue before it looks for its parent again.
PARENT_CHECK_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1


class ChildFailed(Exception):
    """The reading process stopped without saying why."""


def may_fork(table: Table) -> bool:
    """Only a large file, on a system with fork, from a process with no other
    thread (a fork copies only the calling thread: a lock another thread held
    would stay locked in the child). The web wizard's jobs run in the task
    worker's threads and so parse in-process: same results, one core."""
    return (
        (table.total or 0) >= FORK_FROM
        and "fork" in multiprocessing.get_all_start_methods()
        and single_threaded()
    )


def single_threaded() -> bool:
    return threading.active_count() == 1


def kernel_kills_child_with_parent() -> None:
    """Linux: have the kernel send SIGKILL to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no prctl: the getppid checks remain
        pass


def _orphaned(parent: int) -> bool:
    return os.getppid() != parent


def _put(queue: Any, item: Any, parent: int) -> None:
    """Hand ``item`` to the parent; leave at once if the parent is gone (no
    clean-up: the queue's feeder thread could wait on the pipe forever)."""
    while True:
        try:
            queue.put(item, timeout=PARENT_CHECK_SECONDS)
            return
        except Full:
            if _orphaned(parent):
                os._exit(1)


def _produce(
    importer: OrderImporter, batches: Iterator[Rows], queue: Any, parent: int
) -> None:
    """In the child: read and parse the table batch by batch."""
    kernel_kills_child_with_parent()
    if _orphaned(parent):  # the parent died before the kernel was asked
        os._exit(1)
    try:
        for rows in batches:
            _put(queue, importer.read(rows, keys=True).for_parent(), parent)
        _put(queue, None, parent)
    except BaseException as exc:  # handed to the parent as it is
        try:
            pickle.dumps(exc)
            _put(queue, exc, parent)
        except Exception:  # an exception that does not pickle
            _put(queue, ChildFailed(f"{type(exc).__name__}: {exc}"), parent)


def parsed_batches(
    importer: OrderImporter, batches: Iterator[Rows]
) -> Generator[ParsedBatch]:
    """Parsed batches from a forked child, in file order. The child gets a copy
    of the open file (still at its first row: this process reads no further)
    and of the unstarted ``batches`` iterator over it. If the import stops
    early, the child is stopped."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=4)
    child = context.Process(
        target=_produce, args=(importer, batches, queue, os.getpid()), daemon=True
    )
    child.start()
    try:
        while True:
            try:
                item = queue.get(timeout=5)
            except Empty:
                if not child.is_alive():
                    raise ChildFailed(
                        f"the reading process stopped (exit code {child.exitcode})"
                    ) from None
                continue
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        queue.close()
