"""The warning thresholds: the global settings and each value quadrant's own,
as values and as SQL expressions over the customer's quadrant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, FloatField, IntegerField, Value, When

from guanxi.care.models import THRESHOLD_FIELDS, CareSettings, QuadrantThresholds

__all__ = ["Thresholds", "care_settings", "care_thresholds"]


def care_settings() -> CareSettings:
    """The thresholds (the defaults until an admin saves)."""
    found = CareSettings.objects.filter(pk=1).first()
    return found if found is not None else CareSettings(pk=1)


_INT_FIELDS = frozenset(
    {
        "no_purchase_days",
        "quiet_days",
        "active_window_days",
        "complaints_per_month_above",
    }
)


@dataclass(frozen=True)
class Thresholds:
    """The global thresholds and each quadrant's own (``overrides[field]``
    maps a quadrant to its value; a quadrant without one takes the global).

    In queries a threshold is a ``CASE`` over the customer's quadrant: the
    per-quadrant values are joined into the one query of each signal."""

    config: CareSettings
    overrides: dict[str, dict[str, float]]

    def get(self, field: str, quadrant: str | None) -> Any:
        found = self.overrides.get(field, {})
        if quadrant is not None and quadrant in found:
            return found[quadrant]
        return getattr(self.config, field)

    def values(self, field: str) -> list[Any]:
        """Every value the threshold takes (global first)."""
        return [getattr(self.config, field), *self.overrides.get(field, {}).values()]

    def split(self, *fields: str) -> bool:
        """Whether any of ``fields`` differs by quadrant."""
        return any(self.overrides.get(f) for f in fields)

    def expr(
        self,
        field: str,
        ref: str = "quadrant",
        *,
        shift: Any = None,
        output: Any = None,
    ) -> Any:
        """The threshold as a SQL expression over the quadrant column ``ref``
        (``shift`` maps a value to what the query compares with, of type
        ``output``)."""
        convert = shift if shift is not None else (lambda v: v)
        if output is None:
            output = IntegerField() if field in _INT_FIELDS else FloatField()
        base = Value(convert(getattr(self.config, field)), output_field=output)
        whens = [
            When(**{ref: quadrant}, then=Value(convert(value), output_field=output))
            for quadrant, value in sorted(self.overrides.get(field, {}).items())
        ]
        if not whens:
            return base
        return Case(*whens, default=base, output_field=output)


def care_thresholds() -> Thresholds:
    """The settings and the quadrants' own thresholds."""
    overrides: dict[str, dict[str, float]] = {}
    for row in QuadrantThresholds.objects.all():
        for field in THRESHOLD_FIELDS:
            value = getattr(row, field)
            if value is not None:
                overrides.setdefault(field, {})[row.quadrant] = value
    return Thresholds(care_settings(), overrides)
