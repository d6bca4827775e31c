"""Order pages: the list with filters, and one order with its lines.

Each view parses the request, calls selectors (which apply the actor's scope) and
renders. The customer of an order is shown through ``customer_card`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.crypto import salted_hmac
from django.views.decorators.vary import vary_on_headers

from guanxi.access.policies import Policy, policy_for, scope_for
from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.filtersets import OrderFilterSet
from guanxi.commerce.models import Order
from guanxi.commerce.selectors import (
    order_get,
    order_scope,
    order_stores,
    order_summary,
)
from guanxi.core.pagination import keyset_page
from guanxi.core.views import (
    HtmxHttpRequest,
    domain_errors,
    filter_values,
    page_or_fragment,
    query_without_cursor,
    url_maker,
)
from guanxi.customers.presenters import customer_card

__all__ = ["order_detail", "order_list", "order_summary_view"]

ORDERS_PER_PAGE = 50
#: How long a deferred summary (more orders than the pager counts) is kept.
SUMMARY_CACHE_SECONDS = 300


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
@vary_on_headers("HX-Request")
@domain_errors
def order_list(request: HtmxHttpRequest) -> HttpResponse:
    policy = policy_for(request.user)
    filterset = OrderFilterSet(
        request.GET, queryset=order_scope(actor=request.user), request=request
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
        "order": url_maker("commerce:order-detail"),
        "customer": url_maker("customers:customer-detail"),
    }
    query = query_without_cursor(request)
    # Up to the pager's count the summary is one more cheap query; beyond it
    # the page does not wait: htmx asks for it (order_summary_view).
    summary = None if page.count_capped else order_summary(qs)
    context = {
        "rows": [_order_row(o, policy, urls) for o in page.items],
        "page": page,
        "query": query,
        "summary": summary,
        "stores": order_stores(),
        "statuses": OrderStatus.choices,
        "params": filter_values(
            request, ("status", "store", "ordered_from", "ordered_to")
        ),
    }
    template = page_or_fragment(
        request,
        page="commerce/order_list.html",
        fragment="commerce/partials/order_rows.html",
    )
    return render(request, template, context)


@login_required
@domain_errors
def order_summary_view(request: HtmxHttpRequest) -> HttpResponse:
    """The exact count and total amount of the orders the list's filters
    match, for lists longer than the pager counts; kept a few minutes per
    scope and query (the same answer for everyone who sees the same orders)."""
    filterset = OrderFilterSet(
        request.GET, queryset=order_scope(actor=request.user), request=request
    )
    query = query_without_cursor(request)
    # Keyed: the query may hold a phone number, and a bare hash of one is
    # reversed by trying every number.
    digest = salted_hmac("guanxi.commerce.order_summary", query).hexdigest()[:32]
    key = f"orders:summary:{scope_for(request.user).cache_key}:{digest}"
    summary = cache.get(key)
    if summary is None:
        summary = order_summary(filterset.qs)
        cache.set(key, summary, SUMMARY_CACHE_SECONDS)
    return render(request, "commerce/partials/order_summary.html", {"summary": summary})


@login_required
@domain_errors
def order_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    policy = policy_for(request.user)
    order = order_get(actor=request.user, pk=pk)
    card = customer_card(order.customer, policy=policy, tags=[])
    return render(
        request,
        "commerce/order_detail.html",
        {
            "order": order,
            "lines": list(order.lines.all()),
            "customer_label": card.get("name") or card["id"],
            "customer_pk": card.get("pk"),
        },
    )
