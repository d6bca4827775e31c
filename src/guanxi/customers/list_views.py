"""What the customer list offers besides reading: saved views (each person's
named lists) and bulk actions on a selection or on every customer matching
the list's filters."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from guanxi.core.errors import ValidationFailed
from guanxi.core.views import HtmxHttpRequest, domain_errors
from guanxi.customers.bulk_actions import (
    MAX_SELECTED,
    bulk_action_confirm,
    bulk_action_get,
    bulk_action_prepare,
)
from guanxi.customers.choices import BulkStatus
from guanxi.customers.listing import LIST_PARAMETERS
from guanxi.customers.models import BulkAction
from guanxi.customers.saved_views import saved_view_create, saved_view_delete

__all__ = [
    "bulk_confirm",
    "bulk_detail",
    "bulk_new",
    "bulk_progress",
    "saved_view_delete_view",
    "saved_view_save",
]


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


def _bulk_context(action: BulkAction) -> dict[str, Any]:
    finished = action.status in (BulkStatus.DONE, BulkStatus.FAILED)
    percent = int(100 * action.done / action.total) if action.total else 100
    return {
        "action": action,
        "finished": finished,
        "percent": min(percent, 100),
        "tag_label": action.tag.label() if action.tag is not None else "",
        "manager_label": (
            action.manager.get_username() if action.manager is not None else ""
        ),
    }


@login_required
@require_POST
@domain_errors
def bulk_new(request: HtmxHttpRequest) -> HttpResponse:
    """Check a bulk action from the list's bulk bar and show its confirmation
    (how many customers it will touch); a problem goes back to the list with
    its message."""
    query = request.POST.get("query", "")[:2000]
    shown = QueryDict(query)
    try:
        action = bulk_action_prepare(
            actor=request.user,
            kind=request.POST.get("kind"),
            tag=request.POST.get("tag") or None,
            manager=request.POST.get("manager") or None,
            ids=request.POST.getlist("ids")[: MAX_SELECTED + 1],
            everyone_matching=request.POST.get("scope") == "all",
            params={name: shown.get(name, "") for name in LIST_PARAMETERS},
        )
    except ValidationFailed as exc:
        messages.error(request, _("Nothing was changed: %(m)s") % {"m": exc.message})
        return redirect(
            reverse("customers:customer-list") + (f"?{query}" if query else "")
        )
    return redirect("customers:bulk-detail", pk=action.pk)


@login_required
@domain_errors
def bulk_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The confirmation of a prepared action, then its progress."""
    action = bulk_action_get(actor=request.user, pk=pk)
    return render(request, "customers/bulk_action.html", _bulk_context(action))


@login_required
@require_POST
@domain_errors
def bulk_confirm(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    action = bulk_action_get(actor=request.user, pk=pk)
    bulk_action_confirm(actor=request.user, action=action)
    return redirect("customers:bulk-detail", pk=action.pk)


@login_required
@domain_errors
def bulk_progress(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The progress panel alone, polled by htmx every second while it runs."""
    action = bulk_action_get(actor=request.user, pk=pk)
    return render(
        request, "customers/partials/bulk_progress.html", _bulk_context(action)
    )
