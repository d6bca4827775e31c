"""API edge: domain errors become HTTP answers with a clear message."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from guanxi.core.errors import DomainError, NotFound

__all__ = ["ERRORS", "exception_handler"]

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
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, NotFound):
        return Response({"detail": exc.message}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DomainError):
        payload: dict[str, Any] = {"detail": exc.message}
        field = getattr(exc, "field", None)
        if field:
            payload = {field: [exc.message]}
        return Response(payload, status=exc.status_code)
    return drf_exception_handler(exc, context)
