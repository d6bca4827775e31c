"""Web views of the layout: the dashboard and its order figures (the error
pages are in ``errors``).

Each app serves its own pages (``customers/views.py``, ``commerce/views.py`` …);
the helpers they share are in ``core/views.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for, scope_for
from guanxi.access.selectors import staff_language, totp_enrolled
from guanxi.access.services import login_pending_set
from guanxi.commerce.selectors import (
    OrderFilters,
    order_list,
    order_monthly_summary,
)
from guanxi.core.i18n import language_cookie_set
from guanxi.core.views import domain_errors
from guanxi.customers.selectors import customer_list, customer_monthly_new
from guanxi.insights.selectors import dashboard_scores
from guanxi.web.charts import score_charts, score_stats

DASHBOARD_CACHE_SECONDS = 300
#: How long a computation of the order figures may hold the others back.
DASHBOARD_LOCK_SECONDS = 300


class StaffLoginView(auth_views.LoginView):
    """Django's login, then the person's own language (chosen on their
    account page) for their pages from here on. Someone who uses an
    authenticator app is not logged in yet: the code page asks for its code
    (``guanxi.access.twofactor``)."""

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if totp_enrolled(user):
            login_pending_set(self.request, user, next_url=self.get_success_url())
            return HttpResponseRedirect(reverse("access:login-code"))
        response = super().form_valid(form)
        language = staff_language(user=form.get_user())
        if language:
            language_cookie_set(response, language)
        return response


# --- dashboard ---------------------------------------------------------------


def _month_periods(
    now: dt.datetime, months: int
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The last ``months`` calendar months up to this one, in local time."""
    tz = timezone.get_current_timezone()
    first = timezone.localtime(now).date().replace(day=1)
    starts = []
    year, month = first.year, first.month
    for _i in range(months):
        starts.append(dt.datetime(year, month, 1, tzinfo=tz))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    starts.reverse()
    ends = [*starts[1:], _next_month(starts[-1])]
    return list(zip(starts, ends, strict=True))


def _next_month(start: dt.datetime) -> dt.datetime:
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def dashboard_data(*, actor: Any, now: dt.datetime) -> dict[str, Any]:
    """Counts and the 12-month series for ``actor``'s scope."""
    periods = _month_periods(now, 12)
    recent = order_list(
        actor=actor, filters=OrderFilters(ordered_from=now - dt.timedelta(days=30))
    )
    totals = recent.aggregate(n=Count("id"), revenue=Sum("amount"))
    monthly = order_monthly_summary(actor=actor, periods=periods)
    new_customers = customer_monthly_new(actor=actor, periods=periods)
    return {
        "customers": customer_list(actor=actor).order_by().count(),
        "orders_30d": totals["n"] or 0,
        "revenue_30d": totals["revenue"] or 0,
        "series": {
            "months": [start.strftime("%Y-%m") for start, _end in periods],
            "revenue": [float(row["revenue"]) for row in monthly],
            "orders": [int(row["orders"]) for row in monthly],
            "new_customers": new_customers,
        },
    }


def _order_figures(actor: Any) -> dict[str, Any] | None:
    """The order and customer figures of ``actor``'s scope, cached for a few
    minutes and shared by everyone who sees the same customers; None while
    another request computes them (one at a time: at a million customers
    they take tens of seconds, and ten waiting requests computing them at
    once held every thread of the server)."""
    key = f"guanxi:dashboard:{scope_for(actor).cache_key}"
    data: dict[str, Any] | None = cache.get(key)
    if data is not None:
        return data
    lock = f"{key}:computing"
    if not cache.add(lock, True, DASHBOARD_LOCK_SECONDS):
        return None
    try:
        data = dashboard_data(actor=actor, now=timezone.now())
        cache.set(key, data, DASHBOARD_CACHE_SECONDS)
    finally:
        cache.delete(lock)
    return data


@login_required
@domain_errors
def dashboard(request: HttpRequest) -> HttpResponse:
    """The latest scoring run's figures for the viewer's scope (one small row
    per run and scope, read every time); the order figures follow in
    :func:`dashboard_orders`, so the page never waits for them."""
    policy = policy_for(request.user)
    scores = dashboard_scores(actor=request.user) if policy.active else None
    return render(
        request,
        "web/dashboard.html",
        {
            "has_role": policy.active,
            "scores": scores,
            "score_stats": score_stats(scores) if scores is not None else None,
            "score_charts": score_charts(scores) if scores is not None else None,
            "runs_url": reverse("insights:runs") if policy.may_administer else None,
        },
    )


@login_required
@domain_errors
def dashboard_orders(request: HttpRequest) -> HttpResponse:
    """The dashboard's customers, orders and revenue of the last 12 months
    (a fragment the page loads); while they are being computed, a note that
    asks again in a few seconds."""
    data = _order_figures(request.user)
    if data is None:
        return render(request, "web/partials/dashboard_orders_wait.html")
    chart = {
        **data["series"],
        "labels": {
            "revenue": _("Revenue"),
            "new_customers": _("New customers"),
        },
    }
    return render(
        request, "web/partials/dashboard_orders.html", {"data": data, "chart": chart}
    )
