"""Web edge shared by every app's pages: domain errors, htmx fragments, list helpers.

The page views live in their apps (``customers/views.py``, ``commerce/views.py``
…); what they have in common is here, as ``core/api.py`` is for the API.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django_htmx.middleware import HtmxDetails

from guanxi.core.errors import DomainError, NotFound

__all__ = [
    "HtmxHttpRequest",
    "domain_errors",
    "filter_values",
    "int_or_none",
    "page_or_fragment",
    "query_without_cursor",
    "url_maker",
]

View = Callable[..., HttpResponse]


class HtmxHttpRequest(HttpRequest):
    """A request that went through ``django_htmx.middleware.HtmxMiddleware``."""

    htmx: HtmxDetails


def domain_errors(view: View) -> View:
    """Turn domain errors into a 404 or a page with a clear message, never a
    traceback."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None
        except DomainError as exc:
            return render(
                request,
                "web/error.html",
                {"message": exc.message, "status": exc.status_code},
                status=exc.status_code,
            )

    return wrapped


def page_or_fragment(request: HtmxHttpRequest, *, page: str, fragment: str) -> str:
    """The template to answer with: ``fragment`` for an htmx request, ``page``
    otherwise. A history restore asks for the whole page.

    One URL then answers with two bodies: decorate the view with
    ``vary_on_headers("HX-Request")`` so that caches keep them apart.
    """
    if request.htmx and not request.htmx.history_restore_request:
        return fragment
    return page


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def filter_values(request: HttpRequest, names: tuple[str, ...]) -> dict[str, str]:
    """The filter values as typed, to show them again in the form."""
    return {name: request.GET.get(name, "").strip()[:100] for name in names}


def query_without_cursor(request: HttpRequest) -> str:
    """The query string of a keyset-paged list without its cursor, for the
    pager's links."""
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    return query.urlencode()


def url_maker(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[pk])`` without resolving the pattern once per row."""
    placeholder = 987654321
    pattern = reverse(name, args=[placeholder]).replace(str(placeholder), "{}")
    return pattern.format
