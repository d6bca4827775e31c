"""What the customer list offers besides reading: saved views (each person's
named lists) and bulk actions on a selection or on every customer matching
the list's filters."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from guanxi.core.errors import ValidationFailed
from guanxi.core.views import HtmxHttpRequest, domain_errors
from guanxi.customers.listing import LIST_PARAMETERS
from guanxi.customers.saved_views import saved_view_create, saved_view_delete

__all__ = ["saved_view_delete_view", "saved_view_save"]


def _to_list(request: HtmxHttpRequest, query: str = "") -> HttpResponse:
    url = reverse("customers:customer-list") + (f"?{query}" if query else "")
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _posted_filters(request: HtmxHttpRequest) -> dict[str, str]:
    """The list's filters as posted: the filter form's fields (htmx includes
    them, so they are what the list shows now), else the query string the
    page was rendered with."""
    if any(name in request.POST for name in LIST_PARAMETERS):
        return {name: request.POST.get(name, "") for name in LIST_PARAMETERS}
    shown = QueryDict(request.POST.get("query", "")[:2000])
    return {name: shown.get(name, "") for name in LIST_PARAMETERS}


@login_required
@require_POST
@domain_errors
def saved_view_save(request: HtmxHttpRequest) -> HttpResponse:
    """Keep the list as filtered now under a name; back to the list, which
    then shows the view among the person's own."""
    params = _posted_filters(request)
    try:
        view = saved_view_create(
            actor=request.user, name=request.POST.get("view_name"), params=params
        )
    except ValidationFailed as exc:
        messages.error(request, _("The view was not saved: %(m)s") % {"m": exc.message})
        return _to_list(request)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return _to_list(request, view.query)


@login_required
@require_POST
@domain_errors
def saved_view_delete_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    saved_view_delete(actor=request.user, pk=pk)
    messages.success(request, _("The view was deleted."))
    return _to_list(request)
