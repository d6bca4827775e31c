"""Filters for customer lists: one FilterSet serves the web list and the API list.

Apply it on top of a scoped queryset (``customer_scope(actor=...)``); it narrows,
never widens. Phone and email are matched through their blind indexes after the
same normalisation the data went through, so encrypted columns are never scanned.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.core.filters import IdFilter, StrictFilterSet, YearFilter
from guanxi.customers.choices import Channel, Gender
from guanxi.customers.models import Customer
from guanxi.customers.selectors import (
    customer_filter_email,
    customer_filter_name,
    customer_filter_phone,
    customer_filter_tags,
    customer_search,
    tag_by_name,
)

__all__ = ["CustomerFilterSet"]


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

    class Meta:
        model = Customer
        fields: list[str] = []

    @property
    def actor(self) -> Any:
        return getattr(self.request, "user", None)

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
