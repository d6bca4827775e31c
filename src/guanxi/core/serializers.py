"""API input fields that apply :mod:`guanxi.core.values`, so a serializer built
from them is the one declared input schema of a write.

Each field parses with the same function the import and the services use and
answers with the same message; missing, null and blank values all say "this
field is required". The OpenAPI schema comes from the DRF base class (a string
with ``maxLength``, an integer with bounds).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField, empty, get_error_detail

from guanxi.core.errors import ValidationFailed
from guanxi.core.moments import local_moment
from guanxi.core.normalize import parse_date, parse_datetime
from guanxi.core.values import (
    MAX_ID,
    MAX_QUANTITY,
    TEXT_LIMITS,
    check_birthday,
    check_moment,
    clean_line,
    clean_multiline,
    parse_amount,
    parse_id,
    parse_quantity,
)

__all__ = [
    "REQUIRED",
    "AmountField",
    "BirthdayField",
    "DeclaredSerializer",
    "IdField",
    "LineField",
    "MomentField",
    "NoteField",
    "QuantityField",
    "StoredMomentField",
]

#: The one message for a value that is missing, null or blank.
REQUIRED = _("this field is required")
_MESSAGES: dict[str, Any] = {"required": REQUIRED, "null": REQUIRED, "blank": REQUIRED}
# A date and time in any accepted spelling is far shorter than this; longer
# input is refused before it is parsed.
_MOMENT_CHARS = 64


class DeclaredSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A write serializer made for many items: a bulk of 1,000 orders validates
    each one with it, so DRF's per-item bookkeeping is kept out of the loop (the
    writable fields listed once, no serializer-level validators to look for)."""

    @cached_property
    def _writable_fields(self) -> list[Any]:
        return [f for f in self.fields.values() if not f.read_only]

    @cached_property
    def _plan(self) -> list[tuple[str, str, Any, Any]]:
        """``(name, source, field, validate_<name> method)`` per writable field."""
        plan = []
        for field in self._writable_fields:
            name, source = str(field.field_name), str(field.source)
            assert "." not in source and source != "*", source
            method = getattr(self, f"validate_{name}", None)
            plan.append((name, source, field, method))
        return plan

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if type(data) is not dict:
            # Form input (a QueryDict) and anything that is not an object take
            # DRF's general path, which knows them.
            return super().to_internal_value(data)  # type: ignore[no-any-return]
        values: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for name, source, field, method in self._plan:
            try:
                value = field.run_validation(data.get(name, empty))
                if method is not None:
                    value = method(value)
            except serializers.ValidationError as exc:
                errors[name] = exc.detail
            except DjangoValidationError as exc:
                errors[name] = get_error_detail(exc)
            except SkipField:
                pass
            else:
                values[source] = value
        if errors:
            raise serializers.ValidationError(errors)
        return values

    def run_validators(self, value: Any) -> None:
        if self.validators:
            super().run_validators(value)


def _applying(parse: Callable[[Any], Any], data: Any) -> Any:
    try:
        return parse(data)
    except ValidationFailed as exc:
        raise serializers.ValidationError(exc.message) from None


class LineField(serializers.CharField):
    """One-line text: :func:`~guanxi.core.values.clean_line` with the field's limit."""

    def __init__(self, *, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        kwargs.setdefault("max_length", TEXT_LIMITS[kind])
        kwargs.setdefault("error_messages", _MESSAGES)
        kwargs.setdefault("trim_whitespace", True)
        super().__init__(**kwargs)
        # Our own length and control-character checks speak first (and the
        # built-in validators would repeat them in other words).
        self.validators = []

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        limit = self.max_length or TEXT_LIMITS[self.kind]
        text = str(
            _applying(lambda v: clean_line(v, field=self.kind, limit=limit), data)
        )
        if not text and not self.allow_blank:
            self.fail("blank")
        return text


class NoteField(serializers.CharField):
    """Multi-line text (tab and line breaks allowed): ``clean_multiline``."""

    def __init__(self, *, kind: str = "note", **kwargs: Any) -> None:
        self.kind = kind
        kwargs.setdefault("max_length", TEXT_LIMITS[kind])
        kwargs.setdefault("error_messages", _MESSAGES)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.validators = []

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, str):
            self.fail("invalid")
        return str(_applying(lambda v: clean_multiline(v, field=self.kind), data))


@extend_schema_field(
    {
        # Text (with a currency mark or separators) or a JSON number.
        "oneOf": [
            {"type": "string", "maxLength": 64},
            {"type": "number", "minimum": 0, "maximum": 9999999999.99},
        ],
        "example": "1299.50",
        "description": (
            "0 to 9,999,999,999.99, two decimal places at most; ¥1,299.50 is fine."
        ),
    }
)
class AmountField(serializers.Field):  # type: ignore[type-arg]
    """An amount (text or number) as :func:`~guanxi.core.values.parse_amount`
    reads it; answered as text with two places."""

    default_error_messages = _MESSAGES

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and len(data) > 64:
            raise serializers.ValidationError(_("not an amount"))
        return _applying(parse_amount, data)

    def to_representation(self, value: Any) -> str:
        return f"{value:.2f}"


class QuantityField(serializers.IntegerField):
    """A quantity from 1 to :data:`~guanxi.core.values.MAX_QUANTITY`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_QUANTITY)
        kwargs.setdefault("error_messages", _MESSAGES)
        super().__init__(**kwargs)
        self.validators = []

    def to_internal_value(self, data: Any) -> int:
        return int(_applying(parse_quantity, data))


class IdField(serializers.IntegerField):
    """A record id (1 to 2^63 − 1); anything else is ``invalid_message``.

    Whether the record exists (in the caller's scope) is the service's question;
    it answers with the same message.
    """

    def __init__(self, *, invalid_message: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("error_messages", _MESSAGES)
        super().__init__(**kwargs)
        self.invalid_message = invalid_message
        self.validators = []

    def to_internal_value(self, data: Any) -> int:
        number = parse_id(data)
        if number is None:
            raise serializers.ValidationError(str(self.invalid_message))
        return number


@extend_schema_field(
    {
        "type": "string",
        "maxLength": _MOMENT_CHARS,
        "example": "2024-01-05T14:30:00+08:00",
        "description": (
            "ISO 8601, or 2024-01-05 14:30 in the server's time zone; "
            "from 1970-01-01 to one day from now."
        ),
    }
)
class MomentField(serializers.Field):  # type: ignore[type-arg]
    """When an order or interaction happened: parsed in the business's time zone,
    then :func:`~guanxi.core.values.check_moment`."""

    default_error_messages = _MESSAGES

    def to_internal_value(self, data: Any) -> dt.datetime:
        if isinstance(data, bool) or not isinstance(data, str):
            raise serializers.ValidationError(_("not a date and time"))
        if len(data) > _MOMENT_CHARS:
            raise serializers.ValidationError(_("not a date and time"))
        if not data.strip():
            self.fail("blank")
        return _applying(  # type: ignore[no-any-return]
            lambda v: check_moment(parse_datetime(v, tz=self._zone)), data
        )

    @cached_property
    def _zone(self) -> dt.tzinfo:
        # Once per serializer (fields are copied for each), not once per value:
        # a bulk of 1,000 orders asked asgiref's context-local 1,000 times.
        return timezone.get_current_timezone()

    def to_representation(self, value: Any) -> Any:
        return serializers.DateTimeField().to_representation(value)


@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "maxLength": 32,
        "example": "1990-05-17",
        "description": "2024-01-05, 2024/1/5 or 2024年1月5日; from 1900-01-01 to today.",
    }
)
class BirthdayField(serializers.Field):  # type: ignore[type-arg]
    """A birthday from 1900-01-01 to today; empty or null clears it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data == "":
            return True, None
        return super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> dt.date:
        if isinstance(data, bool) or not isinstance(data, str) or len(data) > 32:
            raise serializers.ValidationError(
                _("not a date (expected e.g. 2024-01-05, 2024/1/5 or 2024年1月5日)")
            )
        return _applying(  # type: ignore[no-any-return]
            lambda v: check_birthday(parse_date(v)), data
        )

    def to_representation(self, value: Any) -> Any:
        return value.isoformat() if value else None


class StoredMomentField(serializers.DateTimeField):
    """A stored date and time, shown in the business's time zone — or in UTC when
    it lies so near the end of the calendar (year 9999, from an import before
    the dates were checked) that the time zone would push it past it."""

    def to_representation(self, value: Any) -> Any:
        try:
            return super().to_representation(value)
        except (serializers.ValidationError, OverflowError):
            return local_moment(value).isoformat().replace("+00:00", "Z")

    def default_timezone(self) -> Any:
        return self._zone

    @cached_property
    def _zone(self) -> Any:
        # Once per serializer, as for MomentField: a bulk answer shows 1,000.
        return super().default_timezone()
