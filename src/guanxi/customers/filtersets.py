"""Filters for customer lists: one FilterSet serves the web list and the API list.

Apply it on top of a scoped queryset (``customer_scope(actor=...)``); it narrows,
never widens. Phone and email are matched through their blind indexes after the
same normalisation the data went through, so encrypted columns are never scanned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import ValidationFailed
from guanxi.core.filters import (
    AmountFilter,
    FilterDateFilter,
    IdFilter,
    IdListFilter,
    StrictFilterSet,
    YearFilter,
    day_start,
)
from guanxi.customers.choices import Channel, Gender
from guanxi.customers.models import Customer
from guanxi.customers.selectors import (
    customer_filter_email,
    customer_filter_name,
    customer_filter_phone,
    customer_filter_source,
    customer_filter_tags,
    customer_search,
    tag_by_name,
)

__all__ = ["PURCHASE_CHOICES", "CustomerFilterSet"]

#: ``?purchases=``: customers who bought, or who never did.
PURCHASE_CHOICES = (("any", _("Has purchases")), ("none", _("No purchases yet")))


class CustomerFilterSet(StrictFilterSet):
    """Search and filters for customers, for whoever ``request.user`` is."""

    q = django_filters.CharFilter(
        method="filter_q",
        label=_("Search"),
        help_text=_("A phone number, an email address, a customer number or a name."),
    )
    phone = django_filters.CharFilter(
        method="filter_phone",
        label=_("Phone"),
        help_text=_("Exact phone number, in any common format."),
    )
    email = django_filters.CharFilter(
        method="filter_email",
        label=_("Email"),
        help_text=_("Exact email address."),
    )
    name = django_filters.CharFilter(
        method="filter_name",
        label=_("Name"),
        help_text=_("Part of the name (two characters or more match best)."),
    )
    city = django_filters.CharFilter(field_name="city", label=_("City"))
    tag = django_filters.CharFilter(method="filter_tag", label=_("Tag"))
    gender = django_filters.ChoiceFilter(
        field_name="gender", choices=Gender.choices, label=_("Gender")
    )
    preferred_channel = django_filters.ChoiceFilter(
        field_name="preferred_channel",
        choices=Channel.choices,
        label=_("Preferred channel"),
    )
    birth_year = YearFilter(field_name="birth_year", label=_("Birth year"))
    assigned_manager = IdFilter(
        field_name="assigned_manager_id",
        label=_("Account manager"),
        help_text=_("User id of the account manager."),
    )

    ids = IdListFilter(
        method="filter_ids",
        label=_("Customers"),
        help_text=_("Customer numbers separated by commas, at most 1,000."),
    )
    source = django_filters.CharFilter(
        method="filter_source",
        label=_("Source"),
        help_text=_("A source system the customer is known by (e.g. pos, eshop)."),
    )
    spend_min = AmountFilter(
        field_name="purchase_total", lookup_expr="gte", label=_("Spend at least")
    )
    spend_max = AmountFilter(
        field_name="purchase_total", lookup_expr="lte", label=_("Spend at most")
    )
    purchases = django_filters.ChoiceFilter(
        method="filter_purchases", choices=PURCHASE_CHOICES, label=_("Purchases")
    )
    last_purchase_from = FilterDateFilter(
        method="filter_last_purchase_from",
        label=_("Last purchase from"),
        help_text=_("First day, inclusive (YYYY-MM-DD, 1900-01-01 to 2999-12-31)."),
    )
    last_purchase_to = FilterDateFilter(
        method="filter_last_purchase_to",
        label=_("Last purchase until"),
        help_text=_("Last day, inclusive (YYYY-MM-DD, 1900-01-01 to 2999-12-31)."),
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    @property
    def actor(self) -> Any:
        return getattr(self.request, "user", None)

    def filter_ids(
        self, queryset: QuerySet[Customer], name: str, value: list[int]
    ) -> QuerySet[Customer]:
        # Roles that know customers by pseudonym never see their numbers:
        # filtering by them would tell which pseudonym is which number.
        if not policy_for(self.actor).knows_customer_numbers:
            raise ValidationFailed(
                gettext(
                    "Customers: your role knows customers by pseudonym, not number"
                ),
                field="ids",
            )
        return queryset.filter(pk__in=value)

    def filter_q(
        self, queryset: QuerySet[Customer], name: str, value: str
    ) -> QuerySet[Customer]:
        return customer_search(queryset, value, actor=self.actor)

    def filter_phone(
        self, queryset: QuerySet[Customer], name: str, value: str
    ) -> QuerySet[Customer]:
        return customer_filter_phone(queryset, value, actor=self.actor)

    def filter_email(
        self, queryset: QuerySet[Customer], name: str, value: str
    ) -> QuerySet[Customer]:
        return customer_filter_email(queryset, value, actor=self.actor)

    def filter_name(
        self, queryset: QuerySet[Customer], name: str, value: str
    ) -> QuerySet[Customer]:
        return customer_filter_name(queryset, value, actor=self.actor)

    def filter_tag(
        self, queryset: QuerySet[Customer], name: str, value: str
    ) -> QuerySet[Customer]:
        tag = tag_by_name(" ".join(value.split()))
        if tag is None:
            return queryset.none()
        return customer_filter_tags(queryset, has=[tag.pk])

    def filter_source(
        self, queryset: QuerySet[Customer], name: str, value: str
    ) -> QuerySet[Customer]:
        return customer_filter_source(queryset, " ".join(value.split()))

    def filter_purchases(
        self, queryset: QuerySet[Customer], name: str, value: str
    ) -> QuerySet[Customer]:
        if value == "none":
            return queryset.filter(purchase_count=0)
        return queryset.filter(purchase_count__gt=0)

    def filter_last_purchase_from(
        self, queryset: QuerySet[Customer], name: str, value: dt.date
    ) -> QuerySet[Customer]:
        return queryset.filter(last_purchase_at__gte=day_start(value))

    def filter_last_purchase_to(
        self, queryset: QuerySet[Customer], name: str, value: dt.date
    ) -> QuerySet[Customer]:
        end = day_start(value + dt.timedelta(days=1))
        return queryset.filter(last_purchase_at__lt=end)
