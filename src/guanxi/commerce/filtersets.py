"""Filters for order lists: one FilterSet serves the web list and the API list.

Apply it on top of a scoped queryset (``order_scope(actor=...)``); it narrows,
never widens.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.models import Order
from guanxi.commerce.selectors import order_filter_customer

__all__ = ["OrderFilterSet"]


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), timezone.get_current_timezone())


class OrderFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    """Filters for orders, for whoever ``request.user`` is."""

    customer = django_filters.NumberFilter(
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
    ordered_from = django_filters.DateFilter(
        method="filter_ordered_from",
        label=_("Ordered from"),
        help_text=_("First day, inclusive (YYYY-MM-DD)."),
    )
    ordered_to = django_filters.DateFilter(
        method="filter_ordered_to",
        label=_("Ordered until"),
        help_text=_("Last day, inclusive (YYYY-MM-DD)."),
    )
    amount_min = django_filters.NumberFilter(
        field_name="amount", lookup_expr="gte", label=_("Amount at least")
    )
    amount_max = django_filters.NumberFilter(
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
        return queryset.filter(ordered_at__gte=_start_of(value))

    def filter_ordered_to(
        self, queryset: QuerySet[Order], name: str, value: dt.date
    ) -> QuerySet[Order]:
        return queryset.filter(ordered_at__lt=_start_of(value + dt.timedelta(days=1)))
