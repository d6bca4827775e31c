"""Filters for order lists: one FilterSet serves the web list and the API list.

Apply it on top of a scoped queryset (``order_scope(actor=...)``); it narrows,
never widens.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.models import Order
from guanxi.commerce.selectors import order_filter_customer
from guanxi.core.filters import (
    AmountFilter,
    FilterDateFilter,
    IdFilter,
    StrictFilterSet,
    day_start,
)

__all__ = ["OrderFilterSet"]


class OrderFilterSet(StrictFilterSet):
    """Filters for orders, for whoever ``request.user`` is."""

    customer = IdFilter(
        method="filter_customer",
        label=_("Customer"),
        help_text=_("Customer number (not available to pseudonymous roles)."),
    )
    status = django_filters.ChoiceFilter(
        field_name="status", choices=OrderStatus.choices, label=_("Status")
    )
    source = django_filters.CharFilter(field_name="source", label=_("Source"))
    store = django_filters.CharFilter(field_name="store", label=_("Store"))
    channel = django_filters.CharFilter(field_name="channel", label=_("Channel"))
    currency = django_filters.CharFilter(field_name="currency", label=_("Currency"))
    ordered_from = FilterDateFilter(
        method="filter_ordered_from",
        label=_("Ordered from"),
        help_text=_("First day, inclusive (YYYY-MM-DD, 1900-01-01 to 2999-12-31)."),
    )
    ordered_to = FilterDateFilter(
        method="filter_ordered_to",
        label=_("Ordered until"),
        help_text=_("Last day, inclusive (YYYY-MM-DD, 1900-01-01 to 2999-12-31)."),
    )
    amount_min = AmountFilter(
        field_name="amount", lookup_expr="gte", label=_("Amount at least")
    )
    amount_max = AmountFilter(
        field_name="amount", lookup_expr="lte", label=_("Amount at most")
    )

    class Meta:
        model = Order
        fields: list[str] = []

    @property
    def actor(self) -> Any:
        return getattr(self.request, "user", None)

    def filter_customer(
        self, queryset: QuerySet[Order], name: str, value: Any
    ) -> QuerySet[Order]:
        return order_filter_customer(queryset, int(value), actor=self.actor)

    def filter_ordered_from(
        self, queryset: QuerySet[Order], name: str, value: dt.date
    ) -> QuerySet[Order]:
        return queryset.filter(ordered_at__gte=day_start(value))

    def filter_ordered_to(
        self, queryset: QuerySet[Order], name: str, value: dt.date
    ) -> QuerySet[Order]:
        return queryset.filter(ordered_at__lt=day_start(value + dt.timedelta(days=1)))
