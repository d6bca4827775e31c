"""The error pages: 400, 403 (CSRF included), 404 and 500 in the app's own layout.

Each page carries both languages' heading and the browser's language for the
rest, like every other page. They render without ``request.get_host()``: a
request refused for its Host header (``DisallowedHost``) must still get the page.

An address under ``/api/`` that names no endpoint is answered in the API's own
shape (``{"detail": message}``, JSON, like every other 404 of the API): the
caller is a program, and an HTML page is noise to it.
"""

from __future__ import annotations

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.translation import gettext as _

__all__ = [
    "bad_request",
    "csrf_failure",
    "page_not_found",
    "permission_denied",
    "server_error",
]


def bad_request(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    # Django logs the refusal once, to django.security.DisallowedHost (one line:
    # guanxi.config.log_filters), and marks the response as logged.
    host_refused = isinstance(exception, DisallowedHost)
    return render(request, "web/400.html", {"host_refused": host_refused}, status=400)


def permission_denied(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    return render(
        request,
        "web/403.html",
        {"reason": _("Your role may not open this page.")},
        status=403,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal (``CSRF_FAILURE_VIEW``); the technical reason is
    for the log, not for the person at the browser."""
    return render(
        request,
        "web/403.html",
        {
            "reason": _(
                "The form was too old or came from another site. Go back, reload "
                "the page and send it again."
            )
        },
        status=403,
    )


#: Addresses for programs: every version of the REST API.
API_PATHS = "/api/"


def page_not_found(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    if request.path_info.startswith(API_PATHS):
        message = _(
            "there is no such address in the API (its endpoints are listed at %(docs)s)"
        ) % {"docs": reverse("api-docs")}
        return JsonResponse(
            {"detail": message}, status=404, json_dumps_params={"ensure_ascii": False}
        )
    return render(request, "web/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: whatever broke must not break the error page too.
    return HttpResponse(loader.render_to_string("web/500.html"), status=500)
