"""The problems an import reports: one per row and column, with the exact reason.

What a problem shows of the cell (issue 8: no personal values in errors or
logs). A problem goes to the terminal, to the ``--json`` output and into the
wizard's job record in the database, so it carries the cell's value only where
the value is not personal data:

* **shown** — amounts, unit prices, quantities, order and interaction times,
  statuses, currencies, interaction kinds and ids (order id, customer id,
  interaction id, SKU): :data:`SHOWN_FIELDS`. Cut to 64 characters, control
  characters written as ``\\x02``.
* **masked** — phone and email, as the operations role sees them:
  ``1380013800x`` → ``138****800x``, ``zhang@`` → ``z***@``.
* **left out** (``value`` is null in JSON, no ``value "…"`` in the text) —
  everything else: name, address, city, birthday, gender, note, tags and every
  other free-text column (store, channel, product name, category). The line and
  the column say where to look.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed
from guanxi.core.masking import mask_email

__all__ = ["SHOWN_FIELDS", "ImportRejected", "RowError", "shown_value"]

#: Fields whose cell a problem quotes (without the ``customer_`` prefix).
SHOWN_FIELDS = frozenset(
    {
        "amount",
        "unit_price",
        "quantity",
        "ordered_at",
        "occurred_at",
        "status",
        "currency",
        "kind",
        "order_id",
        "external_id",
        "customer_id",
        "sku",
        "coupon",
    }
)
_SHOWN_CHARS = 64


def _visible(text: str) -> str:
    """``text`` cut to :data:`_SHOWN_CHARS`, control characters escaped."""
    if len(text) > _SHOWN_CHARS:
        text = text[: _SHOWN_CHARS - 1] + "…"
    if text.isprintable():
        return text
    return "".join(
        ch
        if ch.isprintable()
        else f"\\x{ord(ch):02x}"
        if ord(ch) < 256
        else f"\\u{ord(ch):04x}"
        for ch in text
    )


def _mask_phone(text: str) -> str:
    """Any text typed as a phone number: ``138****800x``; short ones all stars."""
    if len(text) >= 11:
        return f"{text[:3]}****{text[-4:]}"
    if len(text) >= 7:
        return f"{text[:2]}****{text[-2:]}"
    return "*" * len(text)


def shown_value(field: str, text: str) -> str | None:
    """What a problem about ``field`` may show of a cell's ``text`` (see the
    module docstring): the text, a masked form, or None (left out)."""
    if not text:
        return ""
    base = field.removeprefix("customer_")
    if field in SHOWN_FIELDS or base in SHOWN_FIELDS:
        return _visible(text)
    if base == "phone":
        return _visible(_mask_phone(text))
    if base == "email":
        return _visible(mask_email(text))
    return None


@dataclass(frozen=True)
class RowError:
    """A problem at a line and column. ``value`` is what may be shown of the
    cell (:func:`shown_value`): ``""`` for an empty cell, None when left out."""

    line: int
    column: str
    value: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        if self.column and self.value:
            return _(
                'line %(line)d, column "%(column)s", value "%(value)s": %(message)s'
            ) % {
                "line": self.line,
                "column": self.column,
                "value": self.value,
                "message": self.message,
            }
        if self.column:
            return _('line %(line)d, column "%(column)s": %(message)s') % {
                "line": self.line,
                "column": self.column,
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
