"""Stage 3, parse (a batch at a time): the mapped fields of many rows, one
column at a time.

The same values and the same messages as :meth:`RowParser.read` row by row,
but each distinct cell of a column is parsed once per batch (statuses, stores,
currencies and repeat customers' contact data repeat) and the loops run per
column. A :class:`ParsedBatch` needs no database, so a large file's batches
are parsed in a second process (:mod:`guanxi.ingest.parallel`).
"""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Callable
from typing import Any, cast

from guanxi.core.bulk import utc_text
from guanxi.core.errors import ValidationFailed
from guanxi.core.values import EARLIEST_MOMENT, MOMENT_LEEWAY
from guanxi.ingest.errors import RowError, shown_value
from guanxi.ingest.mapping import Spots
from guanxi.ingest.parsing import cell_text, plain_identifier
from guanxi.ingest.rows import FieldPlan, RowParser, RowText

__all__ = ["ColumnParser", "ParsedBatch", "UtcMoments", "parse_batch"]

#: Parses a whole column: ``(cell parser, cells) -> (values, any failed)``.
ColumnParser = Callable[[Callable[[Any], Any], list[Any]], tuple[list[Any], bool]]


class ParsedBatch:
    """Parsed columns of a batch of rows: ``values[field][i]`` is row i's clean
    value or None (empty, or reported as invalid: then ``i`` is in
    ``failed[field]``)."""

    __slots__ = (
        "bad",
        "cells",
        "email_keys",
        "errors",
        "failed",
        "lines",
        "nothing",
        "phone_keys",
        "values",
        "where",
    )

    def __init__(
        self,
        *,
        lines: list[int],
        cells: list[list[Any]],
        where: dict[str, Spots],
    ) -> None:
        self.lines = lines
        # The rows' cells; pickled bytes once sent from the helper process.
        self.cells: list[list[Any]] | bytes = cells
        self.where = where
        self.values: dict[str, list[Any]] = {}
        self.failed: dict[str, set[int]] = {}
        # Rows with at least one cell that failed to parse.
        self.bad: set[int] = set()
        self.nothing: list[Any] = []
        # Parse errors, in the order a row-by-row reading reports them.
        self.errors: list[RowError] = []
        # Blind indexes worked out beside the parsing (in the helper process).
        self.phone_keys: dict[str, str | None] = {}
        self.email_keys: dict[str, str | None] = {}

    def column(self, name: str) -> list[Any]:
        return self.values.get(name, self.nothing)

    def blank(self, name: str, i: int) -> bool:
        """Row i left the field empty (rather than giving a value that failed)."""
        return self.column(name)[i] is None and i not in self.failed.get(name, ())

    def text(self, i: int) -> RowText:
        """Row i's cells for messages (unpacked only when a message reads them)."""
        if self.cells.__class__ is bytes:
            return RowText(cast(list[Any], _LazyRow(self, i)), self.where)
        return RowText(cast(list[list[Any]], self.cells)[i], self.where)

    def row_cells(self, i: int) -> list[Any]:
        if self.cells.__class__ is bytes:
            # our own child process's data
            self.cells = pickle.loads(self.cells)
        return cast(list[list[Any]], self.cells)[i]

    def for_parent(self) -> ParsedBatch:
        """Ready to cross to the parent process: the raw cells (needed only for
        messages, and many more objects than the parsed values) are sent as
        one pickled blob, unpacked only if a message needs them; the column of
        Nones is rebuilt there."""
        self.cells = pickle.dumps(self.cells, protocol=pickle.HIGHEST_PROTOCOL)
        self.nothing = []
        return self

    def __setstate__(self, state: Any) -> None:
        _none, slots = state
        for name, value in slots.items():
            setattr(self, name, value)
        if not self.nothing:
            self.nothing = [None] * len(self.lines)

    def row_values(self, i: int, names: tuple[str, ...]) -> dict[str, Any]:
        values = {}
        for name in names:
            value = self.column(name)[i]
            if value is not None:
                values[name] = value
        return values


class _LazyRow:
    """A row's cells, unpacked from the batch when first read."""

    __slots__ = ("batch", "i")

    def __init__(self, batch: ParsedBatch, i: int) -> None:
        self.batch = batch
        self.i = i

    def __len__(self) -> int:
        return len(self.batch.row_cells(self.i))

    def __getitem__(self, index: int) -> Any:
        return self.batch.row_cells(self.i)[index]


def parse_batch(
    rows: RowParser,
    lines: list[int],
    cells: list[list[Any]],
    plan: FieldPlan,
    special: dict[str, ColumnParser] | None = None,
) -> ParsedBatch:
    """The mapped fields of a batch of rows, one column at a time. Parse errors
    are reported in row order, fields in plan order within a row, as
    :meth:`RowParser.read` reports them."""
    size = len(cells)
    width = min(map(len, cells)) if cells else 0
    batch = ParsedBatch(lines=lines, cells=cells, where=rows.columns.where)
    found: list[tuple[int, int, RowError]] = []
    for position, (name, parse, spots) in enumerate(plan):
        headers: list[str] | None = None
        if len(spots) == 1 and spots[0][0] < width:
            index = spots[0][0]
            column = [row[index] for row in cells]
        else:
            column, headers = _merged_column(cells, spots)
        if special and name in special:
            values, failed = special[name](parse, column)
        elif parse == rows.identifier:
            values, failed = _identifier_column(parse, column)
        else:
            values, failed = _cached_column(parse, column)
        if failed:
            bad: set[int] = set()
            for i, value in enumerate(values):
                if value.__class__ is _Failure:
                    header = headers[i] if headers is not None else spots[0][1]
                    found.append(
                        (
                            i,
                            position,
                            RowError(
                                line=lines[i],
                                column=header,
                                value=shown_value(name, cell_text(column[i])),
                                message=value.message,
                            ),
                        )
                    )
                    values[i] = None
                    bad.add(i)
            batch.failed[name] = bad
            batch.bad |= bad
        batch.values[name] = values
    if found:
        found.sort(key=lambda entry: (entry[0], entry[1]))
        batch.errors = [error for _i, _p, error in found]
    batch.nothing = [None] * size
    return batch


class _Failure:
    """A cell that did not parse: the reason, reported once per row."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


_MISS = object()


def _parse_cell(parse: Callable[[Any], Any], cell: Any) -> Any:
    """A clean value, None for an empty cell, or a :class:`_Failure`."""
    if cell is None or (cell.__class__ is str and not cell.strip()):
        return None
    try:
        return parse(cell)
    except ValidationFailed as exc:
        return _Failure(exc.message)


class UtcMoments:
    """A column of moments as UTC text (what SQLite stores), without building a
    datetime per cell: for the common shape ``YYYY-MM-DD HH:MM:SS`` the UTC hour
    is worked out once per local hour (when the hour has one whole-hour UTC
    offset throughout: then minutes and seconds carry over unchanged), and the
    UTC text is compared with the accepted window as text (1970-01-01 to a day
    after ``now``, :func:`~guanxi.core.values.check_moment`). Anything else, in
    the window or not, goes through ``parse`` and :func:`utc_text`, so values
    and messages are those of the cell parser."""

    _TAILS = frozenset(f":{m:02d}:{s:02d}" for m in range(60) for s in range(60))

    def __init__(self, tz: dt.tzinfo, *, now: dt.datetime) -> None:
        self.tz = tz
        self.hours: dict[str, Any] = {}  # local hour -> UTC hour, or None
        # Whole seconds: a moment in whole seconds is at most the latest one
        # exactly when it is at most the latest one's whole second.
        latest = (now + MOMENT_LEEWAY).astimezone(dt.UTC).replace(microsecond=0)
        self.first = utc_text(EARLIEST_MOMENT)
        self.last = utc_text(latest)

    def _utc_hour(self, local: str) -> str | None:
        try:
            start = dt.datetime.fromisoformat(local + ":00:00").replace(tzinfo=self.tz)
            offset = start.utcoffset()
            end_offset = start.replace(minute=59, second=59).utcoffset()
            if offset is None or offset != end_offset or offset % dt.timedelta(hours=1):
                return None
            return utc_text(start)[:13]
        except (ValueError, OverflowError):  # year 1 or 9999 moved out of the calendar
            return None

    def __call__(
        self, parse: Callable[[Any], Any], column: list[Any]
    ) -> tuple[list[Any], bool]:
        hours, tails = self.hours, self._TAILS
        first, last = self.first, self.last
        values: list[Any] = []
        append = values.append
        failed = False
        for cell in column:
            if cell.__class__ is str:
                text = cell.strip()
                if len(text) == 19 and text[10] in " T" and text[13:] in tails:
                    local = text[:10] + " " + text[11:13]
                    utc = hours.get(local, _MISS)
                    if utc is _MISS:
                        utc = hours[local] = self._utc_hour(local)
                    if utc is not None and text[4] == "-" and text[7] == "-":
                        moment = utc + text[13:]
                        if first <= moment <= last:
                            append(moment)
                            continue
            value = _parse_cell(parse, cell)
            if value.__class__ is _Failure:
                failed = True
            elif value is not None:
                value = utc_text(value)
            append(value)
        return values, failed


def _cached_column(
    parse: Callable[[Any], Any], column: list[Any]
) -> tuple[list[Any], bool]:
    """Each distinct cell parsed once; ``(values, any failed)``."""
    cache: dict[Any, Any] = {}
    get = cache.get
    values: list[Any] = []
    append = values.append
    failed = False
    for cell in column:
        value = get(cell, _MISS)
        if value is _MISS:
            value = cache[cell] = _parse_cell(parse, cell)
            if value.__class__ is _Failure:
                failed = True
        append(value)
    return values, failed


def _identifier_column(
    parse: Callable[[Any], Any], column: list[Any]
) -> tuple[list[Any], bool]:
    """Order and customer ids (all different): a plain ASCII id is kept as it
    is (:func:`~guanxi.ingest.parsing.plain_identifier`: what ``parse`` would
    give); anything else goes through ``parse``."""
    values: list[Any] = []
    append = values.append
    failed = False
    for cell in column:
        if cell.__class__ is str and plain_identifier(cell):
            append(cell)
            continue
        value = _parse_cell(parse, cell)
        if value.__class__ is _Failure:
            failed = True
        append(value)
    return values, failed


def _merged_column(cells: list[list[Any]], spots: Spots) -> tuple[list[Any], list[str]]:
    """The first non-empty cell of a row among a field's columns, and its header
    (rows may be shorter than the header row)."""
    column: list[Any] = []
    headers: list[str] = []
    for row in cells:
        size = len(row)
        chosen: Any = None
        chosen_header = ""
        for index, header in spots:
            if index < size:
                cell = row[index]
                if cell is not None and (cell.__class__ is not str or cell.strip()):
                    chosen, chosen_header = cell, header
                    break
        column.append(chosen)
        headers.append(chosen_header)
    return column, headers
