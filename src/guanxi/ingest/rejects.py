"""The rows an import of the good rows only left out, given back as a file.

The file has the upload's format (CSV → CSV, XLSX → XLSX), its header row and
one more column: what was wrong with each row, so the person can fix the rows
and import this file again. CSV is written as UTF-8 with a byte order mark
(Excel then opens it right) and keeps the exports' formula guard, except for
numbers (``-1``, ``+8613800138000``), which a spreadsheet reads as numbers and
which must import again as they were; in XLSX every text stays text (a cell
starting with "=" is not made a formula).

The rows hold personal values, so the stored file is encrypted with the
current encryption key (:func:`guanxi.core.crypto.encrypt_bytes`) and opened
only when its owner downloads it (:func:`rejects_read`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from guanxi.core.crypto import BYTES_PREFIX, decrypt_bytes, encrypt_bytes
from guanxi.exports.services import spreadsheet_safe, xlsx_safe
from guanxi.ingest.readers import Table

__all__ = [
    "PROBLEM_HEADER",
    "rejects_format",
    "rejects_read",
    "rejects_seal",
    "rejects_write",
]

#: What the encryption of a stored file of rejected rows is bound to.
REJECTS_CONTEXT = "ingest.ImportJob.rejects"


def rejects_seal(content: bytes) -> bytes:
    """The file of rejected rows as it is stored: encrypted."""
    return encrypt_bytes(content, context=REJECTS_CONTEXT)


def rejects_read(stored: bytes) -> bytes:
    """The stored file of rejected rows, decrypted (one stored in clear before
    files were encrypted is given as it is)."""
    if not stored.startswith(BYTES_PREFIX):
        return stored
    return decrypt_bytes(stored, context=REJECTS_CONTEXT)


#: The added column's header: both languages, as the file may go to anyone.
PROBLEM_HEADER = "错误 / problem"

_NUMBER = re.compile(r"[+-]?[\d.,\s]+")


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if _NUMBER.fullmatch(text) else spreadsheet_safe(text)


def rejects_format(original_name: str) -> str:
    """``xlsx`` for a workbook upload, ``csv`` for everything else."""
    suffix = PurePath(original_name).suffix.lower()
    return "xlsx" if suffix in {".xlsx", ".xlsm"} else "csv"


def _rows(table: Table, bad: dict[int, list[str]]) -> Iterable[list[Any]]:
    width = len(table.headers)
    for line, cells in table.rows:
        problems = bad.get(line)
        if problems is None:
            continue
        values = list(cells[:width]) + [None] * (width - len(cells))
        yield [*values, "; ".join(problems)]


def rejects_write(table: Table, bad: dict[int, list[str]], *, fmt: str) -> bytes:
    """The bad rows of ``table`` (lines in ``bad``) with their problems."""
    header = [*table.headers, PROBLEM_HEADER]
    if fmt == "xlsx":
        return _xlsx(header, _rows(table, bad))
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in _rows(table, bad):
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=xlsx_safe(value))
                cell.data_type = "s"  # text, never a formula
            else:
                cell = WriteOnlyCell(sheet, value=value)
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
