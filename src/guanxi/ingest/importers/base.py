"""What every importer shares: the parsed rows, the customers, the report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.customers.services import KnownCustomer
from guanxi.ingest.errors import RowError, shown_value
from guanxi.ingest.mapping import Columns
from guanxi.ingest.matching import RowCustomers, customer_part
from guanxi.ingest.parsing import CellParser
from guanxi.ingest.report import ImportReport
from guanxi.ingest.rows import RowParser, RowText

__all__ = ["Importer", "LinkedImporter", "Rows"]

#: A batch of rows as the reader gives them: ``[(line, cells), …]``.
Rows = list[tuple[int, list[Any]]]


class Importer:
    """Reads batches of rows, matches their customers and writes (when
    ``write`` and no row so far was invalid) inside the caller's transaction."""

    kind: str = ""

    def __init__(
        self,
        *,
        columns: Columns,
        parser: CellParser,
        report: ImportReport,
        source: str,
        write: bool,
        expected_rows: int | None = None,
    ):
        self.expected_rows = expected_rows or 0
        self.columns = columns
        self.parser = parser
        self.report = report
        self.source = source
        self.write = write
        self.rows = RowParser(columns=columns, parser=parser, report=report)
        self.customers = RowCustomers(
            source=source, report=report, with_tags=columns.has("tags")
        )
        self.now = timezone.now()

    @property
    def writing(self) -> bool:
        return self.write and self.report.ok

    def batch(self, rows: Rows) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def customers_counted(self) -> None:
        created, updated, _unchanged = self.customers.matcher.count()
        self.report.customers_created = created
        self.report.customers_updated = updated


class LinkedImporter(Importer):
    """Orders and interactions: each row names its customer, who may be created."""

    def customer_for(
        self,
        line: int,
        values: dict[str, Any],
        identity: str,
        text: RowText,
        seen_at: dt.datetime | str | None,
    ) -> KnownCustomer | None:
        """The row's customer (``values``: its customer fields without the
        ``customer_`` prefix), created when the row allows; else an error."""
        creatable = bool(
            values.get("name") or values.get("phone") or values.get("email")
        )
        errors_before = self.report.errors_total
        found = self.customers.resolve(
            line=line,
            values=values,
            text=text.view("customer_"),
            identity=identity,
            may_create=creatable,
            seen_at=seen_at,
        )
        if found is None and self.report.errors_total == errors_before:
            if identity:
                header, cell = text["customer_id"]
                shown = shown_value("customer_id", cell)
                message = _(
                    "unknown customer, and the row has no name, phone or email "
                    "to create one"
                )
            else:
                header, shown = "", ""
                message = _(
                    "the row has no customer (phone, email, name or customer id)"
                )
            self.report.add_error(
                RowError(line=line, column=header, value=shown, message=message)
            )
        return found

    def customer_records(self, values: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """The row's customer values and identity, for :meth:`RowCustomers.prefetch`."""
        return customer_part(values, "customer_"), values.get("customer_id", "")
