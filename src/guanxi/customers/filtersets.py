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

from guanxi.access.choices import ContactView
from guanxi.access.policies import policy_for
from guanxi.core.errors import ValidationFailed
from guanxi.core.normalize import normalize_email, normalize_phone
from guanxi.customers.choices import Channel, Gender
from guanxi.customers.models import Customer
from guanxi.customers.search import email_key, name_query_tokens, phone_key
from guanxi.customers.selectors import _search

__all__ = ["CustomerFilterSet"]


class CustomerFilterSet(django_filters.FilterSet):  # type: ignore[misc]
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
    tag = django_filters.CharFilter(field_name="tags__name", label=_("Tag"))
    gender = django_filters.ChoiceFilter(
        field_name="gender", choices=Gender.choices, label=_("Gender")
    )
    preferred_channel = django_filters.ChoiceFilter(
        field_name="preferred_channel",
        choices=Channel.choices,
        label=_("Preferred channel"),
    )
    birth_year = django_filters.NumberFilter(
        field_name="birth_year", label=_("Birth year")
    )
    assigned_manager = django_filters.NumberFilter(
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

    @property
    def pseudonymous(self) -> bool:
        """Analysts know customers by keyed hash only. A search by name, phone,
        email or customer number would link a person to that hash, so for them
        these searches find nothing."""
        return policy_for(self.actor).contact_view == ContactView.PSEUDONYMOUS

    def filter_q(
        self, queryset: QuerySet[Customer], name: str, value: str
    ) -> QuerySet[Customer]:
        if self.pseudonymous and value.strip():
            return queryset.none()
        return _search(queryset, value, actor=self.actor)

    def filter_phone(
        self, queryset: QuerySet[Customer], name: str, value: str
    ) -> QuerySet[Customer]:
        if self.pseudonymous:
            return queryset.none()
        try:
            return queryset.filter(phone_index=phone_key(normalize_phone(value)))
        except ValidationFailed:
            return queryset.none()

    def filter_email(
        self, queryset: QuerySet[Customer], name: str, value: str
    ) -> QuerySet[Customer]:
        if self.pseudonymous:
            return queryset.none()
        try:
            return queryset.filter(email_index=email_key(normalize_email(value)))
        except ValidationFailed:
            return queryset.none()

    def filter_name(
        self, queryset: QuerySet[Customer], name: str, value: str
    ) -> QuerySet[Customer]:
        if self.pseudonymous:
            return queryset.none()
        tokens = name_query_tokens(value)
        if not tokens:
            return queryset
        for token in tokens:
            queryset = queryset.filter(name_tokens__contains=f" {token} ")
        return queryset
