"""Activities on the customer page: log a call, a conversation, a visit, a
note or a complaint (htmx: the form and the timeline are answered, no page
load; without JavaScript the browser is sent back to the customer page), and
change or delete one's own for a day.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from guanxi.access.policies import policy_for
from guanxi.core.errors import ValidationFailed
from guanxi.core.moments import local_moment
from guanxi.core.views import HtmxHttpRequest, domain_errors
from guanxi.customers.choices import LOGGED_KINDS, ContactChannel
from guanxi.customers.detail import customer_timeline
from guanxi.customers.models import Customer, Interaction
from guanxi.customers.selectors import customer_get
from guanxi.customers.services import (
    ACTIVITY_EDIT_HOURS,
    activity_check_editable,
    activity_delete,
    activity_log,
    activity_update,
)
from guanxi.customers.services import activity_get as _activity_get
from guanxi.insights.selectors import customer_scores

__all__ = [
    "activity_delete_view",
    "activity_edit",
    "activity_form_context",
    "activity_log_view",
]

PANEL = "customers/partials/activity_panel.html"


def activity_form_context(*, actor: Any) -> dict[str, Any]:
    """What the "Log an activity" form offers (the customer page includes it)."""
    return {
        "may_log": policy_for(actor).may_log_activities,
        "activity_kinds": [(k.value, k.label) for k in LOGGED_KINDS],
        "activity_channels": [(v, label) for v, label in ContactChannel.choices],
        "edit_hours": ACTIVITY_EDIT_HOURS,
    }


def _posted(request: HtmxHttpRequest) -> dict[str, Any]:
    return {
        "kind": request.POST.get("kind", ""),
        "channel": request.POST.get("channel", ""),
        "note": request.POST.get("note", ""),
        "occurred_at": request.POST.get("occurred_at", "").replace("T", " "),
    }


def _panel(
    request: HtmxHttpRequest,
    customer: Customer,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: str = "",
    status: int = 200,
) -> HttpResponse:
    events, has_more, _changes = customer_timeline(
        actor=request.user,
        customer=customer,
        page=1,
        scores=customer_scores(customer_id=customer.pk),
    )
    context = {
        "pk": customer.pk,
        "activity": values or {"kind": LOGGED_KINDS[0].value},
        "activity_errors": errors or {},
        "activity_done": done,
        "events": events,
        "next_page": 2 if has_more else None,
        "with_timeline": True,
        **activity_form_context(actor=request.user),
    }
    return render(request, PANEL, context, status=status)


@login_required
@require_POST
@vary_on_headers("HX-Request")
@domain_errors
def activity_log_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(actor=request.user, pk=pk)
    values = _posted(request)
    try:
        activity_log(
            actor=request.user,
            customer=customer,
            kind=values["kind"],
            channel=values["channel"],
            note=values["note"],
            occurred_at=values["occurred_at"],
        )
    except ValidationFailed as exc:
        errors = {exc.field or "note": exc.message}
        if request.htmx:
            return _panel(request, customer, values=values, errors=errors, status=400)
        raise
    done = _("Activity logged.")
    if request.htmx:
        return _panel(request, customer, done=done)
    messages.success(request, done)
    return redirect(customer.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def activity_edit(request: HtmxHttpRequest, pk: int, activity_pk: int) -> HttpResponse:
    """Change one's own activity (a page of its own: rare, and it works the
    same on a phone)."""
    customer = customer_get(actor=request.user, pk=pk)
    interaction: Interaction = _activity_get(
        actor=request.user, customer=customer, pk=activity_pk
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _posted(request)
        try:
            activity_update(
                actor=request.user,
                interaction=interaction,
                kind=values["kind"],
                channel=values["channel"],
                note=values["note"],
                occurred_at=values["occurred_at"],
            )
        except ValidationFailed as exc:
            errors = {exc.field or "note": exc.message}
        else:
            messages.success(request, _("Activity saved."))
            return redirect(customer.get_absolute_url())
    else:
        activity_check_editable(interaction, actor=request.user)
        values = {
            "kind": interaction.kind,
            "channel": interaction.channel,
            "note": interaction.note,
            "occurred_at": local_moment(interaction.occurred_at).strftime(
                "%Y-%m-%dT%H:%M"
            ),
        }
    context = {
        "pk": customer.pk,
        "customer": customer,
        "interaction": interaction,
        "activity": values,
        "activity_errors": errors,
        **activity_form_context(actor=request.user),
    }
    return render(
        request,
        "customers/activity_edit.html",
        context,
        status=400 if errors else 200,
    )


@login_required
@require_POST
@domain_errors
def activity_delete_view(
    request: HtmxHttpRequest, pk: int, activity_pk: int
) -> HttpResponse:
    customer = customer_get(actor=request.user, pk=pk)
    interaction = _activity_get(actor=request.user, customer=customer, pk=activity_pk)
    activity_delete(actor=request.user, interaction=interaction)
    messages.success(request, _("Activity deleted."))
    return redirect(customer.get_absolute_url())
