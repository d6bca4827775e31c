"""Web views."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Guanxi")


def page_not_found(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    return HttpResponse("404", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return HttpResponse("500", status=500)
