"""The journey report page: effect per step, lift against the holdout and
the charts (funnel per step, conversion over time by group)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from guanxi.access.policies import policy_for
from guanxi.analytics.lift import Difference
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.views import domain_errors
from guanxi.journeys.report import (
    MIN_GROUP,
    JourneyReport,
    journey_report,
    report_filter,
)
from guanxi.journeys.selectors import journey_get

__all__ = ["journey_report_view", "verdict_text"]


def verdict_text(d: Difference, *, smaller: int) -> str:
    """What a difference lets one say, in words."""
    if d.verdict == "too_small":
        return _(
            "Too small to tell: each group needs at least %(min)d entries "
            "(the smaller has %(n)d)."
        ) % {"min": MIN_GROUP, "n": smaller}
    if d.verdict == "unclear":
        return _("Too small to tell: the interval includes no difference.")
    if d.verdict == "higher":
        return _("Higher than the holdout group.")
    return _("Lower than the holdout group.")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _lift(d: Difference, fmt: Any, smaller: int) -> dict[str, Any]:
    sign = "+" if (d.difference or 0) > 0 else ""
    return {
        "treated": fmt(d.treated),
        "holdout": fmt(d.holdout),
        "difference": "—" if d.difference is None else sign + fmt(d.difference),
        "interval": (
            "—" if d.low is None or d.high is None else f"{fmt(d.low)} … {fmt(d.high)}"
        ),
        "verdict": d.verdict,
        "text": verdict_text(d, smaller=smaller),
    }


def _chart(report: JourneyReport) -> dict[str, Any]:
    def rate(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    return {
        "names": {
            "entered": pgettext("journey report", "Entered"),
            "sent": pgettext("journey report", "Sent"),
            "opened": pgettext("journey report", "Opened"),
            "clicked": pgettext("journey report", "Clicked"),
            "converted": pgettext("journey report", "Converted"),
            "treated": _("Treated"),
            "holdout": _("Holdout"),
        },
        "steps": {
            "labels": [s.id for s in report.steps],
            **{
                k: [getattr(s, k) for s in report.steps]
                for k in ("entered", "sent", "opened", "clicked", "converted")
            },
        },
        "series": {
            "labels": [p.start.isoformat() for p in report.series],
            "treated": [rate(p.treated_converted, p.treated) for p in report.series],
            "holdout": [rate(p.holdout_converted, p.holdout) for p in report.series],
        },
    }


@login_required
@require_GET
@domain_errors
def journey_report_view(request: HttpRequest, slug: str) -> HttpResponse:
    """A journey's effect over the entries of a period, of the customers in
    the reader's scope."""
    if not policy_for(request.user).may_send_broadcasts:
        raise PermissionDenied(_("your role may not see journeys"))
    journey = journey_get(slug=slug)
    context: dict[str, Any] = {"journey": journey, "values": request.GET}
    try:
        flt = report_filter(request.GET, today=timezone.localdate())
    except ValidationFailed as exc:
        context["error"] = exc.message
        return render(request, "journeys/journey_report.html", context, status=400)
    report = journey_report(
        actor=request.user,
        journey=journey,
        start=flt.start,
        end=flt.end,
        days=flt.days,
    )
    smaller = min(report.treated.n, report.holdout.n)
    context.update(
        flt=flt,
        report=report,
        totals={
            name: report.total(name)
            for name in ("sent", "delivered", "opened", "clicked", "unsubscribed")
        },
        conversion=_lift(report.conversion, _percent, smaller),
        revenue=_lift(report.revenue_per_customer, _money, smaller),
        chart=_chart(report),
    )
    return render(request, "journeys/journey_report.html", context)
