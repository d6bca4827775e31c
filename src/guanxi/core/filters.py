"""Bounded list filters: every query parameter is parsed into the range the
database can answer, or refused with a message.

``?assigned_manager=1180591620717411303424`` (2^70), ``?birth_year=0.5``,
``?ordered_to=9999-12-31`` or ``?amount_min=1e11`` used to reach the database
and fail there (a 500). The filters here use :mod:`guanxi.core.values`, so the
API answers 400 with the message, and a web list shows the app's error page
with the same words (:class:`StrictFilterSet`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field

from guanxi.core.errors import ValidationFailed
from guanxi.core.normalize import parse_date
from guanxi.core.values import (
    FILTER_DATE_RANGE,
    MAX_AMOUNT,
    MAX_ID,
    check_filter_date,
    parse_amount,
    parse_id,
)

__all__ = [
    "AmountFilter",
    "FilterDateField",
    "FilterDateFilter",
    "IdFilter",
    "StrictFilterSet",
    "TypedFormField",
    "YearFilter",
    "day_start",
]


def day_start(day: dt.date) -> dt.datetime:
    """The first moment of ``day`` in the business's time zone (date filters
    take whole local days: from its start, until the next day's)."""
    return dt.datetime.combine(day, dt.time(), timezone.get_current_timezone())


class TypedFormField(forms.Field):
    """A form field whose value is not free text: an empty value is no value
    (the API refuses ``?name=`` for it; see ``core.api.FilterBackend``)."""

    typed = True


class _IdFormField(TypedFormField):
    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        number = parse_id(value)
        if number is None:
            raise forms.ValidationError(
                _("enter a whole number from 1 to %(max)d") % {"max": MAX_ID}
            )
        return number


class _YearFormField(TypedFormField):
    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        first, last = FILTER_DATE_RANGE
        if not (text.isascii() and text.isdigit() and len(text) == 4) or not (
            first.year <= int(text) <= last.year
        ):
            raise forms.ValidationError(
                _("enter a year from %(first)d to %(last)d")
                % {"first": first.year, "last": last.year}
            )
        return int(text)


class FilterDateField(TypedFormField):
    """A date in :data:`~guanxi.core.values.FILTER_DATE_RANGE`."""

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        text = str(value)
        try:
            if len(text) > 32:
                raise ValidationFailed(_("not a date (expected e.g. 2024-01-05)"))
            return check_filter_date(parse_date(text))
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from None


class _AmountFormField(TypedFormField):
    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        text = str(value)
        try:
            if len(text) > 64:
                raise ValidationFailed(_("not an amount"))
            return parse_amount(text)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from None


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.Filter):  # type: ignore[misc]
    """A record id, 1 to 2^63 − 1."""

    field_class = _IdFormField


#: At most this many ids in one ``?ids=`` (a selection, not a table).
MAX_IDS = 1_000


class _IdListFormField(TypedFormField):
    def to_python(self, value: Any) -> list[int] | None:
        if value in self.empty_values:
            return None
        parts = str(value)[: MAX_IDS * 21].split(",")
        numbers = [parse_id(p.strip()) for p in parts]
        if len(parts) > MAX_IDS or any(n is None for n in numbers):
            raise forms.ValidationError(
                _("enter up to %(n)s ids (whole numbers) separated by commas")
                % {"n": f"{MAX_IDS:,}"}
            )
        return sorted({n for n in numbers if n is not None})


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^[0-9]+(,[0-9]+)*$",
        "description": "Ids separated by commas, at most 1,000.",
    }
)
class IdListFilter(django_filters.Filter):  # type: ignore[misc]
    """Records by id: ``?ids=3,5,8`` (at most :data:`MAX_IDS`)."""

    field_class = _IdListFormField

    def filter(self, qs: Any, value: list[int] | None) -> Any:
        if value is None:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


@extend_schema_field(
    {
        "type": "integer",
        "minimum": FILTER_DATE_RANGE[0].year,
        "maximum": FILTER_DATE_RANGE[1].year,
    }
)
class YearFilter(django_filters.Filter):  # type: ignore[misc]
    """A year, four digits, in the filter date range."""

    field_class = _YearFormField


@extend_schema_field(
    {
        "type": "string",
        "format": "date",
        "description": "YYYY-MM-DD, from 1900-01-01 to 2999-12-31.",
    }
)
class FilterDateFilter(django_filters.Filter):  # type: ignore[misc]
    """A day in the filter date range (use with ``method=``)."""

    field_class = FilterDateField


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^\d{1,10}(\.\d{1,2})?$",
        "description": f"0 to {MAX_AMOUNT}, two decimal places at most.",
    }
)
class AmountFilter(django_filters.Filter):  # type: ignore[misc]
    """An amount as the amount columns hold it (0 to 9,999,999,999.99)."""

    field_class = _AmountFormField


class StrictFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    """A FilterSet whose ``qs`` refuses invalid parameters instead of dropping them.

    django-filter leaves an invalid filter out and lists everything; on a web
    page that answers a question nobody asked. Reading ``qs`` of an invalid
    filter set raises :class:`ValidationFailed` with the first message (the web
    views turn it into the app's error page; the API's filter backend checks
    validity first and answers with every message).
    """

    @property
    def qs(self) -> Any:
        if self.is_bound and not self.is_valid():
            name, messages = next(iter(self.errors.items()))
            label = self.filters[name].label if name in self.filters else name
            raise ValidationFailed(
                _("%(label)s: %(message)s")
                % {"label": label or name, "message": messages[0]},
                field=name,
            )
        return super().qs
