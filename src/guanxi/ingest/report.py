"""Stage 6, report: what an import did, or would do, and every problem with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from guanxi.ingest.errors import RowError

__all__ = ["ImportReport", "in_line_order"]


@dataclass
class ImportReport:
    """Counts, errors (nothing is written when there are any) and notices
    (values that differed from recorded ones, which were kept)."""

    kind: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    customers_created: int = 0
    customers_updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    notices: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rejected_rows(self) -> int:
        return len({e.line for e in self.errors})

    def as_dict(self) -> dict[str, Any]:
        """The CLI's ``--json`` object. A rejected import wrote nothing: counts are 0."""
        ok = self.ok
        return {
            "created": self.created if ok else 0,
            "updated": self.updated if ok else 0,
            "unchanged": self.unchanged if ok else 0,
            "rejected_rows": self.rejected_rows,
            "errors": [e.as_dict() for e in self.errors],
        }

    def as_record(self) -> dict[str, Any]:
        """Everything, for the web wizard's job record."""
        return {
            **self.as_dict(),
            "rows": self.rows,
            "dry_run": self.dry_run,
            "customers_created": self.customers_created if self.ok else 0,
            "customers_updated": self.customers_updated if self.ok else 0,
            "notices": [n.as_dict() for n in self.notices],
        }


def in_line_order(messages: list[RowError], start: int) -> None:
    """Sort the messages from ``start`` on by line (stable: within a line they
    keep the order they were found in, the order a row-by-row reading finds
    them)."""
    if len(messages) - start > 1:
        messages[start:] = sorted(messages[start:], key=lambda m: m.line)
