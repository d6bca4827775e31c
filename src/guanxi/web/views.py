"""Web views: dashboard, customers and orders (the error pages are in ``errors``).

Each view parses the request, calls selectors (which apply the actor's scope) and
renders. What a role may see of a customer comes from ``customer_card`` only.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from guanxi.access.choices import ContactView
from guanxi.access.policies import Policy, policy_for
from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.filtersets import OrderFilterSet
from guanxi.commerce.models import Order
from guanxi.commerce.selectors import (
    OrderFilters,
    order_get,
    order_monthly_summary,
)
from guanxi.commerce.selectors import (
    order_list as order_list_selector,
)
from guanxi.core.errors import DomainError, NotFound
from guanxi.customers.choices import Channel, Gender
from guanxi.customers.filtersets import CustomerFilterSet
from guanxi.customers.models import Customer
from guanxi.customers.presenters import customer_card
from guanxi.customers.selectors import (
    customer_get,
    customer_monthly_new,
    customer_scope,
    interaction_list,
    tag_list,
)
from guanxi.customers.selectors import (
    customer_list as customer_list_selector,
)
from guanxi.web.pagination import keyset_page

CUSTOMERS_PER_PAGE = 50
ORDERS_PER_PAGE = 50
TIMELINE_PER_PAGE = 20
DASHBOARD_CACHE_SECONDS = 300

View = Callable[..., HttpResponse]


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


def _is_htmx(request: HttpRequest) -> bool:
    """An htmx request for a fragment (a history restore needs the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _vary_on_htmx(response: HttpResponse) -> HttpResponse:
    # One URL answers with a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


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
    recent = order_list_selector(
        actor=actor, filters=OrderFilters(ordered_from=now - dt.timedelta(days=30))
    )
    totals = recent.aggregate(n=Count("id"), revenue=Sum("amount"))
    monthly = order_monthly_summary(actor=actor, periods=periods)
    new_customers = customer_monthly_new(actor=actor, periods=periods)
    return {
        "customers": customer_list_selector(actor=actor).order_by().count(),
        "orders_30d": totals["n"] or 0,
        "revenue_30d": totals["revenue"] or 0,
        "series": {
            "months": [start.strftime("%Y-%m") for start, _end in periods],
            "revenue": [float(row["revenue"]) for row in monthly],
            "orders": [int(row["orders"]) for row in monthly],
            "new_customers": new_customers,
        },
    }


def _scope_key(user: Any, policy: Policy) -> str:
    """Users who see the same customers share one cached dashboard."""
    if not policy.active:
        return "none"
    return f"user-{user.pk}" if policy.own_customers_only else "all"


@login_required
@domain_errors
def dashboard(request: HttpRequest) -> HttpResponse:
    policy = policy_for(request.user)
    key = f"guanxi:dashboard:{_scope_key(request.user, policy)}"
    data = cache.get(key)
    if data is None:
        data = dashboard_data(actor=request.user, now=timezone.now())
        cache.set(key, data, DASHBOARD_CACHE_SECONDS)
    chart = {
        **data["series"],
        "labels": {
            "revenue": _("Revenue"),
            "new_customers": _("New customers"),
        },
    }
    return render(
        request,
        "web/dashboard.html",
        {"data": data, "chart": chart, "has_role": policy.active},
    )


# --- customers ---------------------------------------------------------------


def _params(request: HttpRequest, names: tuple[str, ...]) -> dict[str, str]:
    """The filter values as typed, to show them again in the form."""
    return {name: request.GET.get(name, "").strip()[:100] for name in names}


def _url_maker(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[pk])`` without resolving the pattern once per row."""
    placeholder = 987654321
    pattern = reverse(name, args=[placeholder]).replace(str(placeholder), "{}")
    return pattern.format


def _customer_row(
    customer: Customer,
    policy: Policy,
    url: Callable[[int], str] | None,
    genders: dict[str, str],
) -> dict[str, Any]:
    """What one line of the customer list shows, ready to print."""
    card = customer_card(customer, policy=policy)
    first_seen = card["first_seen_at"]
    return {
        "card": card,
        "url": url(customer.pk) if url is not None else None,
        "gender": genders.get(card["gender"], "—"),
        "first_seen": (
            timezone.localtime(first_seen).strftime("%Y-%m-%d") if first_seen else "—"
        ),
    }


@login_required
@domain_errors
def customer_list(request: HttpRequest) -> HttpResponse:
    policy = policy_for(request.user)
    filterset = CustomerFilterSet(
        request.GET, queryset=customer_scope(actor=request.user), request=request
    )
    qs = filterset.qs.prefetch_related("tags")
    page = keyset_page(
        qs,
        keys=("id",),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        per_page=CUSTOMERS_PER_PAGE,
    )
    # Pseudonymous roles get no link: the detail page is addressed by number.
    url = (
        None
        if policy.contact_view == ContactView.PSEUDONYMOUS
        else _url_maker("web:customer-detail")
    )
    genders = {value: str(label) for value, label in Gender.choices if value}
    rows = [_customer_row(c, policy, url, genders) for c in page.items]
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    context = {
        "rows": rows,
        "page": page,
        "filters": _params(request, ("q", "city", "tag", "gender")),
        "query": query.urlencode(),
        "genders": [(v, label) for v, label in Gender.choices if v],
        "tags": tag_list(),
        "pseudonymous": policy.contact_view == ContactView.PSEUDONYMOUS,
    }
    template = (
        "web/partials/customer_rows.html"
        if _is_htmx(request)
        else "web/customer_list.html"
    )
    return _vary_on_htmx(render(request, template, context))


def _timeline(
    *, actor: Any, customer: Customer, page: int
) -> tuple[list[dict[str, Any]], bool]:
    """Orders and interactions of ``customer`` merged, newest first."""
    limit = page * TIMELINE_PER_PAGE + 1
    orders = order_list_selector(
        actor=actor, filters=OrderFilters(customer=customer.pk)
    )[:limit]
    interactions = interaction_list(actor=actor, customer=customer)[:limit]
    events: list[dict[str, Any]] = [
        {"kind": "order", "at": o.ordered_at, "order": o} for o in orders
    ]
    events += [
        {"kind": "interaction", "at": i.occurred_at, "interaction": i}
        for i in interactions
    ]
    events.sort(key=lambda e: e["at"], reverse=True)
    start = (page - 1) * TIMELINE_PER_PAGE
    chunk = events[start : start + TIMELINE_PER_PAGE]
    return chunk, len(events) > start + TIMELINE_PER_PAGE


@login_required
@domain_errors
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    policy = policy_for(request.user)
    if policy.contact_view == ContactView.PSEUDONYMOUS:
        # Pseudonymous roles know customers by keyed hash only; a page addressed
        # by customer number would let them link the two.
        raise NotFound(_("customer not found"))
    customer = customer_get(actor=request.user, pk=pk)
    page = max(1, _int_or_none(request.GET.get("page")) or 1)
    events, has_more = _timeline(actor=request.user, customer=customer, page=page)
    card = customer_card(customer, policy=policy)
    manager = customer.assigned_manager if customer.assigned_manager_id else None
    context = {
        "card": card,
        "pk": customer.pk,
        "events": events,
        "next_page": page + 1 if has_more else None,
        "channel_label": (
            Channel(card["preferred_channel"]).label
            if card["preferred_channel"] in Channel.values and card["preferred_channel"]
            else ""
        ),
        "manager_label": manager.get_username() if manager is not None else "",
    }
    if _is_htmx(request):
        return _vary_on_htmx(
            render(request, "web/partials/timeline_items.html", context)
        )
    return _vary_on_htmx(render(request, "web/customer_detail.html", context))


# --- orders ------------------------------------------------------------------


def _order_row(
    order: Order, policy: Policy, urls: dict[str, Callable[[int], str]]
) -> dict[str, Any]:
    card = customer_card(order.customer, policy=policy, tags=[])
    return {
        "order": order,
        "url": urls["order"](order.pk),
        "customer_label": card.get("name") or card["id"],
        "customer_url": urls["customer"](card["pk"]) if "pk" in card else None,
    }


@login_required
@domain_errors
def order_list(request: HttpRequest) -> HttpResponse:
    policy = policy_for(request.user)
    filterset = OrderFilterSet(
        request.GET, queryset=order_list_selector(actor=request.user), request=request
    )
    qs = filterset.qs.select_related("customer")
    page = keyset_page(
        qs,
        keys=("ordered_at", "id"),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        per_page=ORDERS_PER_PAGE,
    )
    urls = {
        "order": _url_maker("web:order-detail"),
        "customer": _url_maker("web:customer-detail"),
    }
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    context = {
        "rows": [_order_row(o, policy, urls) for o in page.items],
        "page": page,
        "query": query.urlencode(),
        "statuses": OrderStatus.choices,
        "params": _params(request, ("status", "store", "ordered_from", "ordered_to")),
    }
    template = (
        "web/partials/order_rows.html" if _is_htmx(request) else "web/order_list.html"
    )
    return _vary_on_htmx(render(request, template, context))


@login_required
@domain_errors
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    policy = policy_for(request.user)
    order = order_get(actor=request.user, pk=pk)
    customer = order.customer
    card = customer_card(customer, policy=policy, tags=[])
    return render(
        request,
        "web/order_detail.html",
        {
            "order": order,
            "lines": list(order.lines.all()),
            "customer_label": card.get("name") or card["id"],
            "customer_pk": card.get("pk"),
        },
    )
