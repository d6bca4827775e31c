"""API edge: bounded parsing, one error shape, cursor pages, strict query filters.

* Domain errors become HTTP answers with a clear message; validation errors of
  nested input are flattened to ``{"lines[0].quantity": [message]}``.
* The JSON parser bounds the body (:data:`MAX_BODY_BYTES`) and its nesting
  depth, so a hostile body is a 400 with a message, never a 500.
* Lists page by cursor (DRF's ``CursorPagination``): no count of all rows, no
  OFFSET scan, the same cost on page 1 and page 20,000. Cursors are sealed
  (encrypted and authenticated): a forged or damaged one is a 400, and none
  tells what it points at.
* The filter backend refuses a typed query parameter given empty
  (``?ordered_to=``): the schema says it is a date, and "" is not one.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django_filters import fields as filter_fields
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, parsers, status
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param

from guanxi.core.crypto import open_token, seal_token
from guanxi.core.errors import DomainError, NotFound
from guanxi.core.values import MAX_ID

__all__ = [
    "ERRORS",
    "MAX_BODY_BYTES",
    "TOO_MANY",
    "ByPseudonymPagination",
    "FilterBackend",
    "JSONParser",
    "KeysetPagination",
    "NewestFirstPagination",
    "OrderedAtPagination",
    "exception_handler",
    "flatten_errors",
]

#: The largest request body the API reads (a bulk of 1,000 orders with lines
#: is well under 2 MB).
MAX_BODY_BYTES = 8 * 1024 * 1024

#: The answer to a request over a rate limit (an API read throttle).
TOO_MANY = gettext_noop(
    "too many requests in a short time: wait a minute and try again"
)

_ERROR = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description='`{"detail": message}` or `{field: [message]}`',
)
#: Error answers every endpoint may give (for the OpenAPI schema).
ERRORS: dict[int, OpenApiResponse] = {
    400: _ERROR,
    401: _ERROR,
    403: _ERROR,
    404: _ERROR,
    429: _ERROR,
}


def flatten_errors(detail: Any, prefix: str = "") -> list[tuple[str | None, str]]:
    """DRF's nested error detail as ``(field path, message)`` pairs, in order.

    ``{"lines": [{}, {"quantity": ["…"]}]}`` becomes ``[("lines[1].quantity",
    "…")]``; errors about a nested object as a whole name the object.
    """
    if isinstance(detail, dict):
        pairs: list[tuple[str | None, str]] = []
        for key, value in detail.items():
            if key in (api_settings.NON_FIELD_ERRORS_KEY, "detail"):
                path = prefix
            elif isinstance(key, int):
                path = f"{prefix}[{key}]"  # an item of a nested list
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            pairs += flatten_errors(value, path)
        return pairs
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [(prefix or None, str(item)) for item in detail]
        pairs = []
        for n, item in enumerate(detail):
            if isinstance(item, str):
                pairs.append((prefix or None, str(item)))
            else:
                pairs += flatten_errors(item, f"{prefix}[{n}]")
        return pairs
    return [(prefix or None, str(detail))]


def _as_fields(detail: Any) -> dict[str, Any]:
    """Flattened errors as ``{field: [messages]}`` (``detail`` for the whole)."""
    out: dict[str, list[str]] = {}
    for field, message in flatten_errors(detail):
        out.setdefault(field or "detail", []).append(message)
    if list(out) == ["detail"] and len(out["detail"]) == 1:
        return {"detail": out["detail"][0]}
    return out


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, NotFound):
        return Response({"detail": exc.message}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DomainError):
        payload: dict[str, Any] = {"detail": exc.message}
        field = getattr(exc, "field", None)
        if field:
            payload = {field: [exc.message]}
        return Response(payload, status=exc.status_code)
    if isinstance(exc, exceptions.ValidationError):
        return Response(_as_fields(exc.detail), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.Throttled):
        # The same words as every other rate limit; the wait in the header.
        wait = getattr(exc, "wait", None)
        headers = {"Retry-After": str(math.ceil(wait))} if wait else {}
        return Response(
            {"detail": _(TOO_MANY)},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers=headers,
        )
    # Imported here: REST_FRAMEWORK's settings name classes of this module, and
    # rest_framework.views reads those settings when it is imported — at the top
    # of this module that is a cycle (a system check resolving the pagination
    # class first found this module half-initialised).
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with bounds on the body's size and nesting depth."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        context = parser_context or {}
        encoding = context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_BODY_BYTES:
            raise exceptions.ParseError(
                _("the request body is too large (at most %(n)d MB)")
                % {"n": MAX_BODY_BYTES // (1024 * 1024)}
            )
        try:
            text = codecs.decode(raw, encoding)
            return json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            raise exceptions.ParseError(
                _("the request body is nested too deeply")
            ) from None
        except ValueError:
            raise exceptions.ParseError(
                _("the request body is not valid JSON")
            ) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity: not JSON


class FilterBackend(DjangoFilterBackend):  # type: ignore[misc]
    """django-filter for the API: invalid or empty typed parameters are a 400.

    The web lists share the FilterSets; there an empty form field means "not
    filtered", so only the API refuses ``?ordered_to=``.
    """

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: Any
    ) -> QuerySet[Any]:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        empty = {
            name: [_("enter a value, or leave the parameter out")]
            for name, field in filterset.form.fields.items()
            if request.query_params.get(name, None) == "" and _is_typed(field)
        }
        if empty:
            raise exceptions.ValidationError(empty)
        return super().filter_queryset(request, queryset, view)  # type: ignore[no-any-return]


def _is_typed(field: Any) -> bool:
    """A form field whose schema type is not free text."""
    return getattr(field, "typed", False) or isinstance(
        field,
        forms.IntegerField
        | forms.DecimalField
        | forms.FloatField
        | forms.DateField
        | forms.DateTimeField
        | forms.ChoiceField
        | filter_fields.ModelChoiceField,
    )


class _Cursor(CursorPagination):
    """DRF's cursor pages with sealed cursors: the position (a customer number,
    a time) cannot be read from a cursor nor forged (:func:`seal_token`)."""

    page_size = 50
    invalid_cursor_message = gettext_lazy("not a valid cursor")  # type: ignore[assignment]

    def _token_context(self) -> str:
        ordering = (
            self.ordering if isinstance(self.ordering, str) else ",".join(self.ordering)
        )
        return f"api-cursor\x00{type(self).__name__}\x00{ordering}"

    def encode_cursor(self, cursor: Cursor) -> str:
        tokens: dict[str, str] = {}
        if cursor.offset != 0:
            tokens["o"] = str(cursor.offset)
        if cursor.reverse:
            tokens["r"] = "1"
        if cursor.position is not None:
            tokens["p"] = str(cursor.position)
        sealed = seal_token(json.dumps(tokens), context=self._token_context())
        return replace_query_param(self.base_url or "", self.cursor_query_param, sealed)

    def decode_cursor(self, request: Request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        cursor = None
        opened = open_token(encoded, context=self._token_context())
        try:
            tokens = json.loads(opened) if opened is not None else None
            if isinstance(tokens, dict):
                offset = int(tokens.get("o", "0"))
                position = tokens.get("p")
                if 0 <= offset <= self.offset_cutoff and (
                    position is None or self.position_is_valid(str(position))
                ):
                    cursor = Cursor(
                        offset=offset,
                        reverse=tokens.get("r") == "1",
                        position=position,
                    )
        except (TypeError, ValueError):
            cursor = None
        if cursor is None:
            raise exceptions.ValidationError(
                {self.cursor_query_param: [str(self.invalid_cursor_message)]}
            )
        return cursor

    def position_is_valid(self, position: str) -> bool:
        raise NotImplementedError


#: The base of the API's cursor paginations: a subclass names its ``ordering``
#: and checks a cursor's position (``position_is_valid``).
KeysetPagination = _Cursor


class NewestFirstPagination(_Cursor):
    """Newest record first, by id."""

    ordering = "-id"

    def position_is_valid(self, position: str) -> bool:
        return (
            position.isascii()
            and position.isdigit()
            and len(position) < 20
            and int(position) <= MAX_ID
        )


class ByPseudonymPagination(_Cursor):
    """Customers by pseudonym, for roles that know them by it: in the order of
    the numbers, a pseudonym's place on a page would tell its number. The
    queryset has ``pseudonym`` (the customer's, annotated for other tables)."""

    ordering = ("pseudonym", "id")

    def position_is_valid(self, position: str) -> bool:
        return (
            len(position) == 18
            and position.startswith("p_")
            and all(c in "0123456789abcdef" for c in position[2:])
        )


class OrderedAtPagination(_Cursor):
    """Newest order first, by ``ordered_at`` (ties by id)."""

    ordering = ("-ordered_at", "-id")

    def position_is_valid(self, position: str) -> bool:
        # The database compares in UTC: a forged year 9999 at -14:00 would
        # overflow on the way there.
        try:
            moment = dt.datetime.fromisoformat(position)
            return moment.tzinfo is not None and bool(moment.astimezone(dt.UTC))
        except (ValueError, OverflowError):
            return False
