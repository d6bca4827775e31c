"""Read CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX files as header + rows.

Rows come out as lists of cell values with the line number a person sees in a
spreadsheet or text editor (the header is line 1), so every problem can be
reported where the user will look for it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from guanxi.ingest.errors import ImportRejected, RowError

__all__ = ["Table", "detect_encoding", "open_table"]

_CHUNK = 1 << 20
Cell = str | int | float | dt.datetime | dt.date | None


@dataclass
class Table:
    """A header row and an iterator of ``(line, cells)``; ``size`` rows if known."""

    headers: list[str]
    rows: Iterator[tuple[int, list[Cell]]]
    encoding: str
    total: int | None = None
    _closers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for closer in self._closers:
            closer.close()


def _decode_reach(stream: IO[bytes], encoding: str) -> tuple[bool, int]:
    """Decode the whole stream strictly; return (ok, line of the first bad byte)."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    lines = 1
    while True:
        chunk = stream.read(_CHUNK)
        final = not chunk
        try:
            decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            return False, lines + chunk.count(b"\n", 0, max(exc.start, 0))
        if final:
            return True, lines
        lines += chunk.count(b"\n")


def detect_encoding(stream: IO[bytes]) -> str:
    """BOM first, then strict UTF-8, then GB18030 (a superset of GBK and GB2312).

    The order matters: plain ASCII and UTF-8 must never be read as GB18030,
    and GB18030 accepts many byte sequences, so it is tried last. A file that
    decodes as neither is rejected, naming the line where the decoding that got
    furthest failed (most likely the encoding the file was meant to be in).
    """
    stream.seek(0)
    head = stream.read(4)
    if head.startswith(codecs.BOM_UTF8):
        ok, line = _decode_reach(stream, "utf-8-sig")
        if ok:
            return "utf-8-sig"
        raise ImportRejected([_encoding_error(line)])
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        ok, line = _decode_reach(stream, "utf-16")
        if ok:
            return "utf-16"
        raise ImportRejected([_encoding_error(line)])
    ok, utf8_line = _decode_reach(stream, "utf-8")
    if ok:
        return "utf-8"
    ok, gb_line = _decode_reach(stream, "gb18030")
    if ok:
        return "gb18030"
    raise ImportRejected([_encoding_error(max(utf8_line, gb_line))])


def _encoding_error(line: int) -> RowError:
    return RowError(
        line=line,
        column="",
        value="",
        message=_("cannot read the file as UTF-8 or GB18030 (line %(line)d)")
        % {"line": line},
    )


def _sniff_dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _csv_rows(reader: Any) -> Iterator[tuple[int, list[Cell]]]:
    start = reader.line_num + 1
    try:
        for row in reader:
            if "".join(row).strip():  # not a blank line (only separators or spaces)
                yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportRejected(
            [
                RowError(
                    line=start,
                    column="",
                    value="",
                    message=_("cannot read this line as CSV (%(reason)s)")
                    % {"reason": exc},
                )
            ]
        ) from None


def _count_lines(stream: IO[bytes]) -> int:
    stream.seek(0)
    count = 0
    while chunk := stream.read(_CHUNK):
        count += chunk.count(b"\n")
    return count


def _open_csv(stream: IO[bytes]) -> Table:
    encoding = detect_encoding(stream)
    total = max(_count_lines(stream) - 1, 0)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    sample = text.read(64 * 1024)
    text.seek(0)
    reader = csv.reader(text, _sniff_dialect(sample))
    headers = next(reader, None)
    if headers is None:
        raise ImportRejected(
            [RowError(line=1, column="", value="", message=_("the file is empty"))]
        )
    table = Table(
        headers=[h.strip() for h in headers],
        rows=_csv_rows(reader),
        encoding=encoding,
        total=total,
    )
    table._closers.append(text)
    return table


def _xlsx_cell(value: Any) -> Cell:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, int | float | dt.date | dt.datetime) or value is None:
        return value
    return str(value)


def _xlsx_rows(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, list[Cell]]]:
    for line, row in enumerate(rows, start=2):
        cells = [_xlsx_cell(v) for v in row]
        if any(c is not None and str(c).strip() for c in cells):
            yield line, cells


def _open_xlsx(stream: IO[bytes]) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception:
        # openpyxl raises many unrelated types for damaged files; all mean the same.
        raise ImportRejected(
            [
                RowError(
                    line=1,
                    column="",
                    value="",
                    message=_("cannot read the file as an Excel workbook (.xlsx)"),
                )
            ]
        ) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    headers = next(rows, None)
    if headers is None:
        book.close()
        raise ImportRejected(
            [RowError(line=1, column="", value="", message=_("the file is empty"))]
        )
    total = (sheet.max_row - 1) if sheet.max_row else None
    table = Table(
        headers=["" if h is None else str(h).strip() for h in headers],
        rows=_xlsx_rows(rows),
        encoding="xlsx",
        total=total,
    )
    table._closers.append(book)
    return table


def open_table(source: str | Path | IO[bytes], *, filename: str = "") -> Table:
    """Open a CSV or XLSX file (by its name, or by the ZIP signature of XLSX)."""
    stream: IO[bytes]
    if isinstance(source, str | Path):
        filename = filename or str(source)
        stream = open(source, "rb")  # noqa: SIM115 - closed by Table.close
    else:
        stream = source
    stream.seek(0)
    is_zip = stream.read(4) == b"PK\x03\x04"
    stream.seek(0)
    try:
        table = (
            _open_xlsx(stream)
            if is_zip or filename.lower().endswith((".xlsx", ".xlsm"))
            else _open_csv(stream)
        )
    except BaseException:
        if isinstance(source, str | Path):
            stream.close()
        raise
    if isinstance(source, str | Path):
        table._closers.append(stream)
    return table
