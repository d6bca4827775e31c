"""API edge: domain errors become HTTP answers with a clear message."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from guanxi.core.errors import DomainError, NotFound


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
