"""Journeys pages: the list with states and counts, one journey's flow with
who is at which step and why people left, switching on and off (admins),
and a dry run of who would enter today."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guanxi.access.policies import policy_for
from guanxi.core.errors import PermissionDenied
from guanxi.core.views import domain_errors
from guanxi.customers.selectors import customer_scope
from guanxi.journeys.choices import EnrolmentState, ExitReason, JourneyState
from guanxi.journeys.engine import definition_load
from guanxi.journeys.presenters import flow, trigger_text
from guanxi.journeys.selectors import (
    journey_dry_run,
    journey_exit_counts,
    journey_get,
    journey_list,
    journey_recent,
    journey_step_counts,
)
from guanxi.journeys.services import journey_playbooks_ensure, journey_set_state

__all__ = [
    "journey_detail_view",
    "journey_dry_run_view",
    "journey_list_view",
    "journey_playbooks_view",
    "journey_state_view",
]

#: Customers shown in a dry run's sample and the recent enrolments.
SAMPLE = 20


def _reader(request: HttpRequest) -> None:
    if not policy_for(request.user).may_send_broadcasts:
        raise PermissionDenied(_("your role may not see journeys"))


@login_required
@require_GET
@domain_errors
def journey_list_view(request: HttpRequest) -> HttpResponse:
    _reader(request)
    return render(
        request,
        "journeys/journey_list.html",
        {
            "rows": journey_list(),
            "may_switch": policy_for(request.user).may_administer,
        },
    )


def _why(enrolment: Any) -> str:
    if enrolment.state == EnrolmentState.EXITED:
        return str(ExitReason(enrolment.exit_reason).label)
    return str(EnrolmentState(enrolment.state).label)


@login_required
@require_GET
@domain_errors
def journey_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    _reader(request)
    journey = journey_get(slug=slug)
    customers = customer_scope(actor=request.user)
    steps: list[dict[str, Any]] = []
    trigger = ""
    if journey.current_version is not None:
        definition = definition_load(journey.current_version)
        counts = journey_step_counts(journey=journey, customers=customers)
        steps = flow(definition.steps, counts)
        trigger = trigger_text(definition.trigger)
    exits = journey_exit_counts(journey=journey, customers=customers)
    recent = [
        {
            "customer_id": e.customer_id,
            "step": e.step,
            "state": e.state,
            "why": _why(e),
            "holdout": e.holdout,
            "entered_at": e.entered_at,
        }
        for e in journey_recent(journey=journey, customers=customers, limit=SAMPLE)
    ]
    return render(
        request,
        "journeys/journey_detail.html",
        {
            "journey": journey,
            "on": journey.state == JourneyState.ON,
            "trigger": trigger,
            "steps": steps,
            "exits": [
                {
                    "label": (
                        ExitReason(key.split(":")[1]).label
                        if key.split(":")[1]
                        else EnrolmentState(key.split(":")[0]).label
                    ),
                    "n": n,
                }
                for key, n in sorted(exits.items())
            ],
            "recent": recent,
            "may_switch": policy_for(request.user).may_administer,
        },
    )


@login_required
@require_GET
@domain_errors
def journey_dry_run_view(request: HttpRequest, slug: str) -> HttpResponse:
    _reader(request)
    journey = journey_get(slug=slug)
    found = journey_dry_run(
        journey=journey,
        day=timezone.localdate(),
        customers=customer_scope(actor=request.user),
        sample=SAMPLE,
    )
    trigger = (
        trigger_text(journey.current_version.definition["trigger"])
        if journey.current_version is not None
        else ""
    )
    return render(
        request,
        "journeys/journey_dry_run.html",
        {"journey": journey, "found": found, "trigger": trigger},
    )


@login_required
@require_POST
@domain_errors
def journey_state_view(request: HttpRequest, slug: str) -> HttpResponse:
    on = request.POST.get("state") == JourneyState.ON
    journey = journey_set_state(actor=request.user, slug=slug, on=on)
    messages.success(
        request,
        (_("%(slug)s is on.") if on else _("%(slug)s is off."))
        % {"slug": journey.slug},
    )
    return redirect("journeys:detail", slug=journey.slug)


@login_required
@require_POST
@domain_errors
def journey_playbooks_view(request: HttpRequest) -> HttpResponse:
    added = journey_playbooks_ensure(actor=request.user)
    messages.success(
        request,
        _("Playbooks added (off): %(slugs)s.") % {"slugs": ", ".join(added)}
        if added
        else _("The shipped playbooks are there already."),
    )
    return redirect("journeys:list")
