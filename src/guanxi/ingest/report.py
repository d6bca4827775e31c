"""Stage 6, report: what an import did, or would do, and its problems.

A file of five million bad rows must not become five million problems in
memory, on the terminal or in the job record (issue 8): the report keeps the
first :attr:`~guanxi.ingest.limits.FileLimits.max_errors` errors and notices in
line order (``GUANXI_IMPORT_MAX_ERRORS``, default 50) and counts all of them,
and the rows they are on.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import Any

from guanxi.ingest.errors import RowError
from guanxi.ingest.limits import file_limits

__all__ = ["ImportReport", "Problems"]


class Problems:
    """The first ``limit`` problems in line order, how many there were and on
    how many lines.

    Rows are read in batches, each after the one before, and every problem of a
    row is found while its batch is read; within a batch they are not always
    found in line order (a row's cells are parsed before its customer is
    matched). So the problems of the current batch that may still be listed
    wait in a heap of at most the room left, in (line, arrival) order, and are
    listed when the batch is :meth:`settle`\\ d; the others are only counted.
    Memory is bounded by ``limit`` and the rows of one batch.
    """

    __slots__ = (
        "_arrived",
        "_batch_lines",
        "_lines",
        "_waiting",
        "limit",
        "listed",
        "total",
    )

    def __init__(self, limit: int) -> None:
        self.limit = max(limit, 0)
        self.listed: list[RowError] = []
        self.total = 0
        self._waiting: list[tuple[int, int, RowError]] = []  # max-heap, negated
        self._arrived = 0
        self._lines = 0
        self._batch_lines: set[int] = set()

    def add(self, problem: RowError) -> None:
        self.total += 1
        self._batch_lines.add(problem.line)
        room = self.limit - len(self.listed)
        if room <= 0:
            return
        self._arrived += 1
        entry = (-problem.line, -self._arrived, problem)
        if len(self._waiting) < room:
            heapq.heappush(self._waiting, entry)
        elif entry > self._waiting[0]:  # earlier than the latest one waiting
            heapq.heapreplace(self._waiting, entry)

    def settle(self) -> None:
        """The batch is done: its first problems are listed, its lines counted."""
        self.listed.extend(self._in_order())
        self._waiting.clear()
        self._lines += len(self._batch_lines)
        self._batch_lines.clear()

    def _in_order(self) -> list[RowError]:
        return [problem for *_key, problem in sorted(self._waiting, reverse=True)]

    @property
    def shown(self) -> list[RowError]:
        """The problems listed: the first ``limit`` in line order."""
        return self.listed + self._in_order() if self._waiting else list(self.listed)

    @property
    def lines(self) -> int:
        """How many lines have at least one problem."""
        return self._lines + len(self._batch_lines)

    @property
    def not_shown(self) -> int:
        return self.total - len(self.listed) - len(self._waiting)


class ImportReport:
    """Counts, errors (nothing is written when there are any) and notices
    (values that differed from recorded ones, which were kept), the first of
    each listed (:class:`Problems`).

    ``refused``: the file was refused as a whole (it could not be read, a
    column is missing), rather than some of its rows.
    """

    def __init__(
        self,
        *,
        kind: str,
        dry_run: bool = False,
        limit: int | None = None,
        personal_notices: bool = True,
    ) -> None:
        self.kind = kind
        self.dry_run = dry_run
        #: Whether a personal value (name, phone, e-mail, birthday, address)
        #: that differs from the recorded one is a notice. Not for a viewer who
        #: sees such values masked: a dry run with a guessed birthday would say
        #: whether the guess is right (no notice) or wrong.
        self.personal_notices = personal_notices
        self.rows = 0
        self.created = 0
        self.updated = 0
        self.unchanged = 0
        self.customers_created = 0
        self.customers_updated = 0
        self.refused = False
        #: How many errors, and how many notices, are listed.
        self.limit = file_limits().max_errors if limit is None else max(limit, 0)
        self._errors = Problems(self.limit)
        self._notices = Problems(self.limit)
        #: Every line with an error and its problems, when asked for (an import
        #: of the good rows only, which gives the bad ones back as a file).
        self.bad_lines: dict[int, list[str]] | None = None

    @classmethod
    def for_refused_file(
        cls, *, kind: str, errors: Iterable[RowError], dry_run: bool = False
    ) -> ImportReport:
        """The report of a file refused as a whole (:class:`ImportRejected`)."""
        report = cls(kind=kind, dry_run=dry_run)
        report.refused = True
        report.add_errors(errors)
        report.settle()
        return report

    def add_error(self, error: RowError) -> None:
        self._errors.add(error)
        if self.bad_lines is not None:
            problem = (
                f"{error.column}: {error.message}" if error.column else error.message
            )
            self.bad_lines.setdefault(error.line, []).append(problem)

    def add_errors(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.add_error(error)

    def add_notice(self, notice: RowError) -> None:
        self._notices.add(notice)

    def settle(self) -> None:
        """A batch of rows is done (see :class:`Problems`)."""
        self._errors.settle()
        self._notices.settle()

    def tally(self) -> tuple[int, int]:
        """How many errors and notices so far: two tallies that are equal mean
        that nothing in between was reported."""
        return self._errors.total, self._notices.total

    @property
    def errors(self) -> list[RowError]:
        """The errors listed (the first ones in line order)."""
        return self._errors.shown

    @property
    def notices(self) -> list[RowError]:
        return self._notices.shown

    @property
    def errors_total(self) -> int:
        return self._errors.total

    @property
    def errors_not_shown(self) -> int:
        return self._errors.not_shown

    @property
    def notices_total(self) -> int:
        return self._notices.total

    @property
    def notices_not_shown(self) -> int:
        return self._notices.not_shown

    @property
    def ok(self) -> bool:
        return not self._errors.total

    @property
    def rejected_rows(self) -> int:
        """Lines with at least one error, all of them (listed or not)."""
        return self._errors.lines

    def as_dict(self) -> dict[str, Any]:
        """The CLI's ``--json`` object. A rejected import wrote nothing: counts are 0."""
        ok = self.ok
        return {
            "created": self.created if ok else 0,
            "updated": self.updated if ok else 0,
            "unchanged": self.unchanged if ok else 0,
            "rejected_rows": self.rejected_rows,
            "errors": [e.as_dict() for e in self.errors],
            "errors_total": self.errors_total,
            "errors_not_shown": self.errors_not_shown,
        }

    def as_record(self) -> dict[str, Any]:
        """Everything, for the web wizard's job record."""
        return {
            **self.as_dict(),
            "rows": self.rows,
            "dry_run": self.dry_run,
            "refused": self.refused,
            "customers_created": self.customers_created if self.ok else 0,
            "customers_updated": self.customers_updated if self.ok else 0,
            "notices": [n.as_dict() for n in self.notices],
            "notices_total": self.notices_total,
            "notices_not_shown": self.notices_not_shown,
        }
