"""Who a send goes to: ``all``, ``segment:NAME`` or ``file:IDS.csv``; on
the send screen also the customers ticked on the customer list
(``selected``, at most :data:`MAX_SELECTED`, in the sender's scope)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.core.errors import ValidationFailed
from guanxi.core.values import parse_id
from guanxi.customers.selectors import customer_rows, customer_scope
from guanxi.segments.selectors import everyone_actor, segment_list, segment_members

MAX_FILE_IDS = 5_000_000
#: The audience of the customers ticked on the list, and the most of them.
SELECTED = "selected"
MAX_SELECTED = 1_000
CHUNK = 5000  # ids a query (SQLite limits a query's parameters)
HEADERS = {"id", "customer_id", "customer"}


def _file_ids(path: Path) -> list[int]:
    """Customer ids, one a line (first column; a header line is allowed).
    Every id must be a whole number of a customer that exists."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError:
        raise ValidationFailed(
            _("Cannot read the audience file %(file)s.") % {"file": path.name},
            field="audience",
        ) from None
    ids: list[int] = []
    with handle:
        for line, row in enumerate(csv.reader(handle), start=1):
            cell = row[0].strip() if row else ""
            if not cell or (line == 1 and cell.lower() in HEADERS):
                continue
            if not cell.isdigit():
                raise ValidationFailed(
                    _("%(file)s line %(line)d: %(value)r is not a customer id.")
                    % {"file": path.name, "line": line, "value": cell[:40]},
                    field="audience",
                )
            ids.append(int(cell))
            if len(ids) > MAX_FILE_IDS:
                raise ValidationFailed(
                    _("%(file)s has more than %(n)d ids.")
                    % {"file": path.name, "n": MAX_FILE_IDS},
                    field="audience",
                )
    return ids


@dataclass(frozen=True)
class Audience:
    """Customers to send to: a query, or (from a file) a list of ids."""

    customers: QuerySet[Any]
    ids: list[int] | None = None


def audience_customers(audience: str) -> Audience:
    """The customers of ``audience``. Raises ``ValidationFailed``."""
    kind, _sep, value = audience.partition(":")
    if audience == "all":
        return Audience(customer_rows())
    if kind == "segment" and value:
        segment = segment_list().filter(name=value).first()
        if segment is None:
            raise ValidationFailed(
                _("No segment is named %(name)r.") % {"name": value}, field="audience"
            )
        return Audience(segment_members(actor=everyone_actor(), rules=segment.rules))
    if kind == "file" and value:
        ids = sorted(set(_file_ids(Path(value))))
        found: set[int] = set()
        for start in range(0, len(ids), CHUNK):
            found.update(
                customer_rows()
                .filter(pk__in=ids[start : start + CHUNK])
                .values_list("pk", flat=True)
            )
        missing = [i for i in ids if i not in found]
        if missing:
            raise ValidationFailed(
                _("%(n)d ids in %(file)s are not customers, the first: %(first)d.")
                % {"n": len(missing), "file": Path(value).name, "first": missing[0]},
                field="audience",
            )
        return Audience(customer_rows(), ids=ids)
    raise ValidationFailed(
        _("The audience is all, segment:NAME or file:IDS.csv, not %(value)r.")
        % {"value": audience},
        field="audience",
    )


def audience_selected(*, actor: Any, ids: list[str]) -> Audience:
    """The customers ticked on the list (their numbers as posted): at most
    :data:`MAX_SELECTED`, every one in ``actor``'s scope (one that is not is
    answered as if it did not exist). Raises ``ValidationFailed``."""
    if len(ids) > MAX_SELECTED:
        raise ValidationFailed(
            _("At most %(n)s ticked customers can be sent to at once.")
            % {"n": f"{MAX_SELECTED:,}"},
            field="audience",
        )
    numbers = {parse_id(value) for value in ids}
    if not numbers:
        raise ValidationFailed(
            _("Tick at least one customer on the customer list."), field="audience"
        )
    found = (
        customer_scope(actor=actor)
        .filter(pk__in=[n for n in numbers if n is not None])
        .count()
    )
    if None in numbers or found != len(numbers):
        raise ValidationFailed(
            _("The selection holds something that is not one of your customers."),
            field="audience",
        )
    return Audience(customer_rows(), ids=sorted(n for n in numbers if n is not None))


def audience_choices(*, selected: int = 0) -> list[tuple[str, str]]:
    """The audiences a person may pick on the send screen: the customers
    ticked on the list (when ``selected``), everyone, then each segment by
    name."""
    choices = [("all", str(_("All customers")))]
    if selected:
        choices.insert(
            0,
            (
                SELECTED,
                ngettext(
                    "The %(n)d ticked customer",
                    "The %(n)d ticked customers",
                    selected,
                )
                % {"n": selected},
            ),
        )
    for name in segment_list().order_by("name").values_list("name", flat=True)[:500]:
        choices.append(
            (f"segment:{name}", str(_("Segment: %(name)s") % {"name": name}))
        )
    return choices
