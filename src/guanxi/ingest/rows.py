"""Stage 3, parse (row at a time): the mapped cells of one row as clean values.

Each cell goes through :class:`~guanxi.ingest.parsing.CellParser`; a cell that
does not parse becomes a :class:`~guanxi.ingest.errors.RowError` with its line,
header and what may be shown of its text
(:func:`~guanxi.ingest.errors.shown_value`). :class:`RowText` keeps what a
message shows of a row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed
from guanxi.ingest.errors import RowError, shown_value
from guanxi.ingest.mapping import Columns, Spots
from guanxi.ingest.parsing import CellParser, cell_text
from guanxi.ingest.report import ImportReport

__all__ = ["FieldPlan", "RowParser", "RowText"]

#: The mapped fields to read from a row: ``(field, cell parser, spots)``.
FieldPlan = list[tuple[str, Callable[[Any], Any], Spots]]


class RowText:
    """The header and text of a row's cells, for messages: worked out only when
    a message needs them.

    Fields are looked up by name; ``prefix`` makes ``phone`` mean
    ``customer_phone`` (an order row's customer), and ``identity`` names the
    field that holds the customer id (``customer_id`` or, in a customers file,
    ``external_id``).
    """

    __slots__ = ("cells", "identity", "prefix", "where")

    def __init__(
        self,
        cells: list[Any],
        where: dict[str, Spots],
        prefix: str = "",
        identity: str = "customer_id",
    ) -> None:
        self.cells = cells
        self.where = where
        self.prefix = prefix
        self.identity = identity

    def _field(self, name: str) -> str:
        if name == "customer_id":
            return self.identity
        return self.prefix + name

    def get(self, name: str, default: Any = None) -> Any:
        """``(header, text)`` of the field's first non-empty cell, or ``default``."""
        spots = self.where.get(self._field(name))
        if not spots:
            return default
        cells = self.cells
        for index, header in spots:
            if index < len(cells):
                text = cell_text(cells[index])
                if text:
                    return header, text
        return default

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def __getitem__(self, name: str) -> tuple[str, str]:
        found = self.get(name)
        if found is None:
            raise KeyError(name)
        return found  # type: ignore[no-any-return]

    def view(self, prefix: str, identity: str = "customer_id") -> RowText:
        """The same row, its fields named with ``prefix``."""
        return RowText(self.cells, self.where, prefix, identity)


class RowParser:
    """Parses the mapped cells of one row; problems go to the report."""

    def __init__(self, *, columns: Columns, parser: CellParser, report: ImportReport):
        self.columns = columns
        self.report = report
        self.parsers = {name: parser.for_field(name) for name in columns.where}
        self.identifier = parser.identifier

    def plan(self, names: tuple[str, ...]) -> FieldPlan:
        """The mapped fields among ``names``, with their parser and cells."""
        return [
            (name, self.parsers[name], self.columns.where[name])
            for name in names
            if name in self.parsers
        ]

    def read(
        self, line: int, cells: list[Any], plan: FieldPlan
    ) -> tuple[dict[str, Any], RowText, bool]:
        """``(values, text, ok)``: clean values of the non-empty mapped cells."""
        values: dict[str, Any] = {}
        ok = True
        size = len(cells)
        for name, parse, spots in plan:
            cell: Any = None
            header = ""
            for index, spot_header in spots:
                if index < size:
                    cell = cells[index]
                    if cell is not None and (cell.__class__ is not str or cell.strip()):
                        header = spot_header
                        break
                    cell = None
            if cell is None:
                continue
            try:
                values[name] = parse(cell)
            except ValidationFailed as exc:
                ok = False
                self.report.add_error(
                    RowError(
                        line=line,
                        column=header,
                        value=shown_value(name, cell_text(cell)),
                        message=exc.message,
                    )
                )
        return values, RowText(cells, self.columns.where), ok

    def require(
        self,
        line: int,
        values: dict[str, Any],
        text: RowText,
        names: tuple[str, ...],
    ) -> bool:
        """Report required fields left blank (a value that failed to parse is
        already reported)."""
        ok = True
        for name in names:
            if name in values:
                continue
            ok = False
            if name not in text:
                self.report.add_error(
                    RowError(
                        line=line,
                        column=self.columns.header(name),
                        value="",
                        message=_("a value is required"),
                    )
                )
        return ok
