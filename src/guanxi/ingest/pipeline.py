"""One import, stage by stage: read → map → parse → match → write → report.

The whole file is validated; rows are written in batches inside ONE
transaction, and if any row turns out to be invalid the transaction is rolled
back, so nothing is half-written. ``dry_run`` validates without writing.

=========  ==========================================================
stage      module
=========  ==========================================================
read       :mod:`guanxi.ingest.readers` (CSV in any Chinese encoding, XLSX)
map        :mod:`guanxi.ingest.mapping` (+ :mod:`~guanxi.ingest.presets`)
parse      :mod:`guanxi.ingest.parsing` (a cell), :mod:`~guanxi.ingest.rows`
           (a row), :mod:`~guanxi.ingest.batches` (a batch, column-wise),
           :mod:`~guanxi.ingest.parallel` (in a second process)
match      :mod:`guanxi.ingest.matching` (the customers app's matcher)
write      :mod:`guanxi.ingest.importers` (through the customers and
           commerce apps' bulk writers)
report     :mod:`guanxi.ingest.report`
=========  ==========================================================
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import closing
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.bulk import bulk_session
from guanxi.core.errors import ValidationFailed
from guanxi.core.values import clean_line
from guanxi.customers.selectors import tag_names_automatic
from guanxi.customers.services import contact_taken_error, name_tokens_forget
from guanxi.ingest import parallel
from guanxi.ingest.importers import IMPORTERS
from guanxi.ingest.importers.base import Rows
from guanxi.ingest.importers.orders import OrderImporter
from guanxi.ingest.mapping import preset_get, resolve_mapping
from guanxi.ingest.parsing import CellParser
from guanxi.ingest.presets import Mapping
from guanxi.ingest.readers import Table
from guanxi.ingest.report import ImportReport

__all__ = ["BATCH", "ImportRefused", "import_run", "source_name"]

BATCH = 5000


class ImportRefused(ValidationFailed):
    """The database refused the import's writes (another writer recorded the
    same customer or order at the same moment); nothing was written."""


def import_run(
    *,
    kind: str,
    table: Table,
    preset: str = "generic",
    mapping: Mapping | None = None,
    source: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    skip_lines: Collection[int] = (),
    collect_bad_lines: bool = False,
    personal_notices: bool = True,
) -> ImportReport:
    """Import ``table`` as ``kind``. Writes everything or nothing.

    Problems with the file as a whole (missing column, unknown preset) raise
    :class:`ImportRejected`/:class:`ValidationFailed`; problems with rows are in
    the returned report, and when there are any nothing is written.

    ``skip_lines``: lines of the file left out (the bad rows of an import of
    the good rows only); ``collect_bad_lines``: the report keeps every line
    with an error and its problems (``report.bad_lines``).
    """
    if kind not in IMPORTERS:
        raise ValidationFailed(
            _(
                "unknown import kind %(kind)s (expected customers, orders or interactions)"
            )
            % {"kind": kind}
        )
    chosen = preset_get(name=preset, kind=kind)
    columns = resolve_mapping(
        kind=kind, headers=table.headers, preset=chosen, mapping=mapping
    )
    report = ImportReport(kind=kind, dry_run=dry_run, personal_notices=personal_notices)
    if collect_bad_lines:
        report.bad_lines = {}
    name_tokens_forget()
    parser = CellParser(
        tz=timezone.get_current_timezone(),
        status_values=chosen.status_values,
        automatic_tags=tag_names_automatic(),
    )
    importer = IMPORTERS[kind](
        columns=columns,
        parser=parser,
        report=report,
        source=source_name(source or chosen.source) or "import",
        write=not dry_run,
        expected_rows=table.total,
    )
    try:
        with bulk_session(), transaction.atomic():
            if isinstance(importer, OrderImporter) and parallel.may_fork(table):
                parsed = parallel.parsed_batches(
                    importer, batches(table, skip_lines=skip_lines)
                )
                with closing(parsed):
                    for batch in parsed:
                        importer.apply(batch)
                        _done(report, len(batch.lines), progress)
            else:
                for rows in batches(table, skip_lines=skip_lines):
                    importer.batch(rows)
                    _done(report, len(rows), progress)
            importer.finish()
            report.settle()
            if dry_run or not report.ok:
                transaction.set_rollback(True)
    except IntegrityError as exc:
        raise _refused(exc) from None
    return report


def source_name(given: str) -> str:
    """The source system's name (``--source``, the wizard's field, a preset's):
    the text rules of every way in (:func:`~guanxi.core.values.clean_line`)."""
    try:
        return clean_line(given, field="source")
    except ValidationFailed as exc:
        raise ValidationFailed(
            _("source: %(message)s") % {"message": exc.message}
        ) from None


def _done(
    report: ImportReport, rows: int, progress: Callable[[int], None] | None
) -> None:
    report.rows += rows
    report.settle()
    if progress:
        progress(rows)


def _refused(error: IntegrityError) -> ImportRefused:
    """What to tell the user when the database refused a write: only a
    concurrent writer can cause it (the import checks every key first)."""
    if contact_taken_error(error) is not None:
        return ImportRefused(
            _(
                "a customer with a phone number or email address of this file was "
                "recorded by someone else while the import ran; nothing was "
                "written: please import the file again"
            )
        )
    return ImportRefused(
        _(
            "a record of this file was recorded by someone else while the import "
            "ran; nothing was written: please import the file again"
        )
    )


def batches(table: Table, *, skip_lines: Collection[int] = ()) -> Iterator[Rows]:
    """The table's rows, :data:`BATCH` at a time, without ``skip_lines``."""
    batch: list[tuple[int, list[Any]]] = []
    for row in table.rows:
        if skip_lines and row[0] in skip_lines:
            continue
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
