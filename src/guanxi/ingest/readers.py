"""Read CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX files as header + rows.

Rows come out as lists of cell values with the line number a person sees in a
spreadsheet or text editor (the header is line 1), so every problem can be
reported where the user will look for it.

A file is read within the bounds of :mod:`guanxi.ingest.limits`: an XLSX archive
is checked before anything in it is unpacked (members, unpacked size,
compression ratio), rows are streamed and counted, and a line, a cell, a row
or a file beyond its bound refuses the file with a message saying which bound
and how an admin raises it. A CSV that mixes encodings (one UTF-8 line in a
GBK file) or holds NUL bytes is refused rather than stored as mojibake.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from guanxi.ingest.errors import ImportRejected, RowError
from guanxi.ingest.limits import MB, FileLimits, file_limits

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


def _refuse(message: str, *, line: int = 1, column: str = "") -> ImportRejected:
    return ImportRejected(
        [RowError(line=line, column=column, value="", message=message)]
    )


# --------------------------------------------------------------------------- CSV


@dataclass
class _Scan:
    """What one strict decoding pass over a whole file found."""

    ok: bool
    bad_line: int  # the line of the first byte that did not decode (if not ok)
    newlines: int = 0
    nul_line: int = 0  # the first line holding a NUL byte (0: none)
    inner_bom: bool = False  # U+FEFF somewhere after the start


def _scan(stream: IO[bytes], encoding: str) -> _Scan:
    """Decode the whole stream strictly, counting lines and looking for NUL bytes
    and byte-order marks inside the text (left by files pasted together)."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    lines = 1
    nul_line = 0
    inner_bom = False
    first = True
    while True:
        chunk = stream.read(_CHUNK)
        final = not chunk
        if not nul_line and b"\x00" in chunk and encoding != "utf-16":
            nul_line = lines + chunk.count(b"\n", 0, chunk.index(b"\x00"))
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            return _Scan(False, lines + chunk.count(b"\n", 0, max(exc.start, 0)))
        if "\ufeff" in (text[1:] if first else text):
            inner_bom = True
        first = first and not text
        if final:
            return _Scan(True, 0, lines - 1, nul_line, inner_bom)
        lines += chunk.count(b"\n")


def _mixed_encoding_line(stream: IO[bytes]) -> int:
    """In a file read as GB18030, the first line that is UTF-8 with Chinese in it.

    GB18030 decodes nearly any bytes, so a UTF-8 line in a GBK file (or a UTF-8
    file with one GBK line) reads without error as mojibake (张三 → 寮犱笁).
    Genuine GBK text is almost never valid UTF-8 that decodes to Chinese.
    """
    stream.seek(0)
    line = 0
    pending = b""
    while True:
        chunk = stream.read(_CHUNK)
        data = pending + chunk
        parts = data.split(b"\n")
        pending = parts.pop() if chunk else b""
        for raw in parts:
            line += 1
            if raw.isascii():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if any("\u3400" <= ch <= "\u9fff" for ch in text):
                return line
        if not chunk:
            return 0


def detect_encoding(stream: IO[bytes]) -> str:
    """BOM first, then strict UTF-8, then GB18030 (a superset of GBK and GB2312).

    The order matters: plain ASCII and UTF-8 must never be read as GB18030,
    and GB18030 accepts many byte sequences, so it is tried last. A file that
    decodes as neither is rejected, naming the line where the decoding that got
    furthest failed (most likely the encoding the file was meant to be in).
    """
    return _detect(stream)[0]


def _detect(stream: IO[bytes]) -> tuple[str, _Scan]:
    stream.seek(0)
    head = stream.read(4)
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if head.startswith(bom):
            scan = _scan(stream, encoding)
            if scan.ok:
                return encoding, scan
            raise ImportRejected([_encoding_error(scan.bad_line)])
    utf8 = _scan(stream, "utf-8")
    if utf8.ok:
        return "utf-8", utf8
    gb = _scan(stream, "gb18030")
    if not gb.ok:
        raise ImportRejected([_encoding_error(max(utf8.bad_line, gb.bad_line))])
    mixed = _mixed_encoding_line(stream)
    if mixed:
        raise _refuse(
            _(
                "the file mixes encodings: this line is UTF-8 but line %(other)d "
                "is GBK/GB18030; save the whole file in one encoding (UTF-8 is "
                "best) and import it again"
            )
            % {"other": utf8.bad_line},
            line=mixed,
        )
    return "gb18030", gb


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


def _bounded_lines(text: IO[str], limits: FileLimits) -> Iterator[str]:
    """The lines of ``text``, none read whole if longer than the line limit."""
    limit = limits.max_line_chars
    number = 0
    while line := text.readline(limit + 1):
        number += 1
        if len(line) > limit and not line.endswith(("\n", "\r")):
            raise _refuse(
                _(
                    "the line is longer than %(limit)s characters (the limit; "
                    "an admin can raise it with GUANXI_IMPORT_MAX_LINE)"
                )
                % {"limit": f"{limit:,}"},
                line=number,
            )
        yield line


def _too_many_rows(line: int, limits: FileLimits) -> ImportRejected:
    return _refuse(
        _(
            "the file has more than %(limit)s rows (the limit; an admin can raise "
            "it with GUANXI_IMPORT_MAX_ROWS)"
        )
        % {"limit": f"{limits.max_rows:,}"},
        line=line,
    )


def _too_many_columns(line: int, count: int, limits: FileLimits) -> ImportRejected:
    return _refuse(
        _(
            "%(count)s columns; at most %(limit)s are accepted (an admin can "
            "raise this with GUANXI_IMPORT_MAX_COLUMNS)"
        )
        % {"count": f"{count:,}", "limit": f"{limits.max_columns:,}"},
        line=line,
    )


def _cell_too_long(line: int, limits: FileLimits) -> ImportRejected:
    return _refuse(
        _(
            "a cell is longer than %(limit)s characters (the limit; an admin can "
            "raise it with GUANXI_IMPORT_MAX_CELL)"
        )
        % {"limit": f"{limits.max_cell_chars:,}"},
        line=line,
    )


def _check_row(line: int, cells: Sequence[Any], limits: FileLimits) -> None:
    if line > limits.max_rows + 1:
        raise _too_many_rows(line, limits)
    if len(cells) > limits.max_columns:
        raise _too_many_columns(line, len(cells), limits)


def _csv_rows(
    reader: Any, limits: FileLimits, *, strip_bom: bool
) -> Iterator[tuple[int, list[Cell]]]:
    start = reader.line_num + 1
    last_line, max_columns = limits.max_rows + 1, limits.max_columns
    try:
        for row in reader:
            if "".join(row).strip():  # not a blank line (only separators or spaces)
                if start > last_line or len(row) > max_columns:
                    _check_row(start, row, limits)
                if strip_bom:
                    row = [cell.replace("\ufeff", "") for cell in row]
                yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _cell_too_long(start, limits) from None
        raise _refuse(
            _("cannot read this line as CSV (%(reason)s)") % {"reason": exc},
            line=start,
        ) from None


def _open_csv(stream: IO[bytes], limits: FileLimits) -> Table:
    encoding, scan = _detect(stream)
    if scan.nul_line:
        raise _refuse(
            _(
                "a NUL character: this is not a text file (save it from the "
                "spreadsheet as CSV or XLSX)"
            ),
            line=scan.nul_line,
        )
    csv.field_size_limit(limits.max_cell_chars)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    sample = text.read(64 * 1024)
    text.seek(0)
    reader = csv.reader(_bounded_lines(text, limits), _sniff_dialect(sample))
    try:
        headers = next(reader, None)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _cell_too_long(1, limits) from None
        raise
    if headers is None:
        raise _refuse(_("the file is empty"))
    if len(headers) > limits.max_columns:
        raise _too_many_columns(1, len(headers), limits)
    table = Table(
        headers=[h.replace("\ufeff", "").strip() for h in headers],
        rows=_csv_rows(reader, limits, strip_bom=scan.inner_bom),
        encoding=encoding,
        total=max(scan.newlines - 1, 0),
    )
    table._closers.append(text)
    return table


# --------------------------------------------------------------------------- XLSX


def _not_a_workbook() -> ImportRejected:
    return _refuse(_("cannot read the file as an Excel workbook (.xlsx)"))


def _check_archive(stream: IO[bytes], limits: FileLimits) -> None:
    """Refuse a workbook whose parts would unpack beyond the limits, before any
    part is unpacked. The sizes come from the archive's directory; reading a
    part never yields more than the size it declares (``zipfile`` stops there
    and checks the CRC), so a directory that lies cannot unpack more."""
    try:
        members = zipfile.ZipFile(stream).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise _not_a_workbook() from None
    finally:
        stream.seek(0)
    if len(members) > limits.max_members:
        raise _refuse(
            _("the workbook holds %(count)s parts; at most %(limit)s are accepted")
            % {"count": f"{len(members):,}", "limit": f"{limits.max_members:,}"}
        )
    unpacked = 0
    for member in members:
        unpacked += member.file_size
        if (
            member.file_size > limits.ratio_from_bytes
            and member.file_size > limits.max_ratio * max(member.compress_size, 1)
        ):
            raise _refuse(
                _(
                    "the workbook unpacks to %(ratio)s times its size (at most "
                    "%(limit)s): it looks like a decompression bomb and is not read"
                )
                % {
                    "ratio": f"{member.file_size // max(member.compress_size, 1):,}",
                    "limit": f"{limits.max_ratio:,}",
                }
            )
    if unpacked > limits.max_unpacked_bytes:
        raise _refuse(
            _(
                "the workbook unpacks to %(size)s MB; at most %(limit)s MB are "
                "accepted (an admin can raise this with GUANXI_IMPORT_MAX_UNPACKED_MB)"
            )
            % {
                "size": f"{unpacked // MB:,}",
                "limit": f"{limits.max_unpacked_bytes // MB:,}",
            }
        )


# XML cannot hold most control characters, so a workbook writes one as
# ``_x0002_`` (OOXML's ST_Xstring escape; ``_x005F_`` is a literal "_"), and
# openpyxl hands the escape over as it is. Read back, the cell holds what the
# person typed, and a control character is refused like one in a CSV.
_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _xml_unescaped(match: re.Match[str]) -> str:
    code = int(match[1], 16)
    # A lone surrogate is no character (nor could a database store it).
    return match[0] if 0xD800 <= code <= 0xDFFF else chr(code)


def _xlsx_cell(value: Any) -> Cell:
    if isinstance(value, str):
        if "_x" in value:
            return _XML_ESCAPE.sub(_xml_unescaped, value)
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


def _xlsx_rows(
    rows: Iterator[tuple[Any, ...]], limits: FileLimits
) -> Iterator[tuple[int, list[Cell]]]:
    line = 1
    try:
        # Rows are counted by their line in the sheet, blank ones too: a sheet
        # whose only data row is numbered 1,000,000,000 is refused at the limit
        # instead of walking a billion empty rows.
        for line, row in enumerate(rows, start=2):
            _check_row(line, row, limits)
            cells = [_xlsx_cell(v) for v in row]
            if any(c is not None and str(c).strip() for c in cells):
                if any(
                    len(c) > limits.max_cell_chars for c in cells if isinstance(c, str)
                ):
                    raise _cell_too_long(line, limits)
                yield line, cells
    except ImportRejected:
        raise
    except Exception:
        # A damaged sheet fails in the XML parser, openpyxl or zipfile (CRC), with
        # many unrelated types; all mean the same to the person importing.
        raise _refuse(
            _("the workbook is damaged here and cannot be read further"),
            line=line + 1,
        ) from None


def _open_xlsx(stream: IO[bytes], limits: FileLimits) -> Table:
    from openpyxl import load_workbook

    _check_archive(stream, limits)
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        headers = next(rows, None)
        max_row = sheet.max_row
    except Exception:
        # openpyxl raises many unrelated types for damaged files; all mean the same.
        raise _not_a_workbook() from None
    if headers is None:
        book.close()
        raise _refuse(_("the file is empty"))
    if len(headers) > limits.max_columns:
        book.close()
        raise _too_many_columns(1, len(headers), limits)
    if any(isinstance(h, str) and len(h) > limits.max_cell_chars for h in headers):
        book.close()
        raise _cell_too_long(1, limits)
    table = Table(
        headers=["" if h is None else str(h).strip() for h in headers],
        rows=_xlsx_rows(rows, limits),
        encoding="xlsx",
        total=min(max_row - 1, limits.max_rows) if max_row else None,
    )
    table._closers.append(book)
    return table


def open_table(
    source: str | Path | IO[bytes],
    *,
    filename: str = "",
    limits: FileLimits | None = None,
) -> Table:
    """Open a CSV or XLSX file (by its name, or by the ZIP signature of XLSX)."""
    limits = limits or file_limits()
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
            _open_xlsx(stream, limits)
            if is_zip or filename.lower().endswith((".xlsx", ".xlsm"))
            else _open_csv(stream, limits)
        )
    except BaseException:
        if isinstance(source, str | Path):
            stream.close()
        raise
    if isinstance(source, str | Path):
        table._closers.append(stream)
    return table


def table_read(path: Path) -> tuple[list[str], list[list[Cell]]]:
    """A whole CSV or XLSX file as its headers and rows, within the import's
    limits (rows, columns, cell length, archive checks) — for commands that
    read a file of any encoding the import reads but import nothing."""
    table = open_table(path)
    try:
        return table.headers, [cells for _line, cells in table.rows]
    finally:
        table.close()
