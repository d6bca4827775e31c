"""The problems an import reports: one per row and column, with the exact reason."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed

__all__ = ["ImportRejected", "RowError"]


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        if self.column:
            return _(
                'line %(line)d, column "%(column)s", value "%(value)s": %(message)s'
            ) % {
                "line": self.line,
                "column": self.column,
                "value": self.value,
                "message": self.message,
            }
        return _("line %(line)d: %(message)s") % {
            "line": self.line,
            "message": self.message,
        }


class ImportRejected(ValidationFailed):
    """The file cannot be imported as a whole (encoding, missing column, …)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised while parsing in the helper process, re-raised in the parent.
        return (type(self), (self.errors,))
