"""``guanxi analyze sentiment FILE --text-col C [--out FILE.csv] [--json]``.

Reads a CSV or XLSX file (through the reader the ``guanxi`` command passes
in: the import's, so every encoding and limit of the import holds), scores
the column's texts with :mod:`guanxi.analytics.sentiment`, prints counts
(or one JSON object ``{"texts", "positive", "neutral", "negative",
"seconds"}``) and, with ``--out``, writes the input columns plus
``sentiment`` and ``negative_probability`` as UTF-8 CSV — whole or not at
all, with the CSV formula guard on text cells.

Bad input prints one ``error: …`` line and returns 2; no text of the file is
ever quoted in a message.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# The other analyses' command line: its parser that raises, its one error line.
from guanxi.analytics.cli import Translate, UsageError, _fail, _Parser

__all__ = ["TableReader", "main"]

#: ``read(path) -> (headers, rows)``; raises ``ValueError`` with a message
#: for the user when the file cannot be read.
TableReader = Callable[[Path], tuple[list[str], list[list[Any]]]]
SUFFIXES = (".csv", ".xlsx", ".xlsm")
#: Scored per call to the model: bounded memory whatever the file's size.
CHUNK = 2000
#: A cell starting with one of these runs as a formula in a spreadsheet.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _parser(_: Translate = str) -> _Parser:
    parser = _Parser(
        prog="guanxi analyze sentiment",
        description=_(
            "Sentiment of a column of texts (Chinese and English): positive, "
            "neutral or negative"
        ),
    )
    parser.add_argument("file", metavar="FILE", help=_("CSV or XLSX file"))
    parser.add_argument("--text-col", required=True, metavar="C", help=_("Text column"))
    parser.add_argument(
        "--out",
        metavar="FILE.csv",
        help=_("Write the input columns plus sentiment and negative_probability"),
    )
    parser.add_argument("--json", action="store_true", help=_("Print one JSON object"))
    return parser


def main(
    argv: Sequence[str],
    *,
    gettext: Translate | None = None,
    read_table: TableReader | None = None,
) -> int:
    _ = gettext or str
    try:
        args = _parser(_).parse_args(list(argv))
    except UsageError as error:
        return _fail(str(error), _)
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    try:
        return _run(args, read_table or _read_utf8_csv)
    except (UsageError, ValueError) as error:
        return _fail(str(error), _)
    except KeyboardInterrupt:
        print(_("error: ") + "interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a defect: still no traceback for the user
        print(
            _("error: ") + f"unexpected failure ({type(error).__name__}); "
            "please report it",
            file=sys.stderr,
        )
        return 1


def _check(args: argparse.Namespace) -> tuple[Path, Path | None]:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"file not found: {args.file}")
    if path.suffix.lower() not in SUFFIXES:
        raise UsageError(f"unsupported file type '{path.suffix}' (use .csv or .xlsx)")
    out = None
    if args.out is not None:
        out = Path(args.out)
        if out.suffix.lower() != ".csv":
            raise UsageError(f"--out: unsupported file type '{out.suffix}' (use .csv)")
        if not out.parent.is_dir():
            raise UsageError(f"--out: folder does not exist: {out.parent}")
    return path, out


def _run(args: argparse.Namespace, read_table: TableReader) -> int:
    from tqdm import tqdm

    from guanxi.analytics.sentiment import Sentiment, sentiment_of

    path, out = _check(args)
    started = time.perf_counter()
    headers, rows = read_table(path)
    if args.text_col not in headers:
        names = ", ".join(headers)
        raise UsageError(f"column '{args.text_col}' is missing (the file has: {names})")
    if not rows:
        raise UsageError(f"{args.file} has no rows")
    column = headers.index(args.text_col)
    texts = [_text(row[column] if column < len(row) else None) for row in rows]
    found_all: list[Sentiment] = []
    with tqdm(
        total=len(texts),
        desc="sentiment",
        unit="text",
        file=sys.stderr,
        disable=None,
        leave=False,
    ) as bar:
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start : start + CHUNK]
            found_all.extend(sentiment_of(chunk))
            bar.update(len(chunk))
    counts = {"positive": 0, "neutral": 0, "negative": 0}
    for found in found_all:
        counts[found.label] += 1
    if out is not None:
        _write(out, headers, rows, found_all)
    seconds = round(time.perf_counter() - started, 3)
    if args.json:
        print(json.dumps({"texts": len(texts), **counts, "seconds": seconds}))
    else:
        print(
            f"{len(texts)} texts: {counts['positive']} positive, "
            f"{counts['neutral']} neutral, {counts['negative']} negative "
            f"({seconds} s)\n{len(texts)} 条文本：正面 {counts['positive']}，"
            f"中性 {counts['neutral']}，负面 {counts['negative']}"
        )
    return 0


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _safe(value: Any) -> Any:
    """The CSV formula guard of Guanxi's exports: ``'`` before a text cell a
    spreadsheet would run."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _write(
    out: Path, headers: list[str], rows: list[list[Any]], found: list[Any]
) -> None:
    handle, temporary = tempfile.mkstemp(
        dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(
                [_safe(h) for h in [*headers, "sentiment", "negative_probability"]]
            )
            width = len(headers)
            for row, result in zip(rows, found, strict=True):
                cells = [_safe(c) for c in (list(row) + [None] * width)[:width]]
                writer.writerow([*cells, result.label, result.negative_probability])
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _read_utf8_csv(path: Path) -> tuple[list[str], list[list[Any]]]:
    """Without the import's reader (this module run on its own): UTF-8 CSV."""
    if path.suffix.lower() != ".csv":
        raise UsageError(
            "XLSX files are read by the guanxi command: guanxi analyze sentiment"
        )
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            lines = list(csv.reader(stream))
    except UnicodeDecodeError:
        raise UsageError(f"cannot read {path}: not UTF-8 text") from None
    if not lines:
        raise UsageError(f"cannot read {path}: the file is empty")
    return lines[0], lines[1:]
