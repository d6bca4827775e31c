"""Another writer's open transaction, for tests of writers at the same moment
(``from tests.transactions import no_lock_waits, open_transaction``): a real
thread with its own connection, so the database's own locks and snapshots
decide, not a stand-in. Use in tests marked ``django_db(transaction=True)``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import connection, transaction

__all__ = ["PATIENCE", "at_once", "no_lock_waits", "open_transaction"]

#: Seconds a thread waits for the other before the test gives up: a stuck
#: test fails instead of hanging. No assertion is made on any duration.
PATIENCE = 60

T = TypeVar("T")


@contextmanager
def open_transaction(write: Callable[[], None]) -> Iterator[Callable[[], None]]:
    """Inside: another connection has run ``write()`` in a transaction it
    keeps open (as an import of a million orders does for minutes). It
    commits when the block ends, or earlier when the block calls the
    function it was given; either way the block has ended or that call has
    returned only after the commit (an error in the writer fails the test)."""
    written, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with transaction.atomic():
                write()
                written.set()
                if not release.wait(PATIENCE):
                    raise TimeoutError("the test never let the writer commit")
        except BaseException as error:
            errors.append(error)
        finally:
            written.set()
            connection.close()

    thread = threading.Thread(target=writer)

    def commit() -> None:
        release.set()
        thread.join(PATIENCE)
        assert not thread.is_alive(), "the writer did not commit"
        assert errors == []

    thread.start()
    try:
        assert written.wait(PATIENCE), "the writer did not write"
        assert errors == []
        yield commit
    finally:
        release.set()
        thread.join(PATIENCE)
    commit()


@contextmanager
def no_lock_waits() -> Iterator[None]:
    """A transaction (PostgreSQL) that fails at once where it would wait for a
    lock another transaction holds: ``lock_timeout`` of one second, and a
    lock wait fails with "canceling statement due to lock timeout"."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '1s'")
        yield


def at_once(work: Callable[[], T], *, threads: int = 2) -> list[T]:
    """``work()`` in ``threads`` threads released together, each on its own
    connection; what each returned (an error in any fails the test)."""
    start = threading.Barrier(threads)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(PATIENCE)
            results.append(work())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    running = [threading.Thread(target=run) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(PATIENCE)
    assert errors == []
    assert len(results) == threads
    return results
