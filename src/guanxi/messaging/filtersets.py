"""Filters for the outbox: one FilterSet serves the web list and the API list.

Apply it on top of a scoped queryset (``message_scope(actor=...)``); it
narrows, never widens. The customer is found by number (``customer``) or by
staff search (``q``: name, pinyin, phone, e-mail, through the hashed keys);
both find nothing for roles that know customers by pseudonym only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.core.filters import FilterDateFilter, IdFilter, StrictFilterSet, day_start
from guanxi.messaging.choices import (
    MessageChannel,
    MessageStatus,
    Purpose,
    SuppressReason,
)
from guanxi.messaging.models import Message
from guanxi.messaging.selectors import message_filter_customer, message_filter_people

__all__ = ["MessageFilterSet"]

#: The longest customer search (a name, a phone number, an address).
SEARCH_MAX_LENGTH = 100


class MessageFilterSet(StrictFilterSet):
    """Filters for messages, for whoever ``request.user`` is."""

    status = django_filters.ChoiceFilter(
        field_name="status", choices=MessageStatus.choices, label=_("Status")
    )
    channel = django_filters.ChoiceFilter(
        field_name="channel", choices=MessageChannel.choices, label=_("Channel")
    )
    purpose = django_filters.ChoiceFilter(
        field_name="purpose", choices=Purpose.choices, label=_("Purpose")
    )
    reason = django_filters.ChoiceFilter(
        field_name="reason", choices=SuppressReason.choices, label=_("Reason")
    )
    broadcast = IdFilter(
        field_name="broadcast_id",
        label=_("Broadcast"),
        help_text=_("Broadcast number."),
    )
    customer = IdFilter(
        method="filter_customer",
        label=_("Customer"),
        help_text=_("Customer number (not available to pseudonymous roles)."),
    )
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=SEARCH_MAX_LENGTH,
        label=_("Customer search"),
        help_text=_(
            "The customer's name, phone number (or its last four digits), "
            "e-mail address or number."
        ),
    )
    created_from = FilterDateFilter(
        method="filter_created_from",
        label=_("Queued from"),
        help_text=_("First day, inclusive (YYYY-MM-DD, 1900-01-01 to 2999-12-31)."),
    )
    created_to = FilterDateFilter(
        method="filter_created_to",
        label=_("Queued until"),
        help_text=_("Last day, inclusive (YYYY-MM-DD, 1900-01-01 to 2999-12-31)."),
    )

    class Meta:
        model = Message
        fields: list[str] = []

    @property
    def actor(self) -> Any:
        return getattr(self.request, "user", None)

    def filter_customer(
        self, queryset: QuerySet[Message], name: str, value: Any
    ) -> QuerySet[Message]:
        return message_filter_customer(queryset, int(value), actor=self.actor)

    def filter_q(
        self, queryset: QuerySet[Message], name: str, value: str
    ) -> QuerySet[Message]:
        return message_filter_people(queryset, value, actor=self.actor)

    def filter_created_from(
        self, queryset: QuerySet[Message], name: str, value: dt.date
    ) -> QuerySet[Message]:
        return queryset.filter(created_at__gte=day_start(value))

    def filter_created_to(
        self, queryset: QuerySet[Message], name: str, value: dt.date
    ) -> QuerySet[Message]:
        return queryset.filter(created_at__lt=day_start(value + dt.timedelta(days=1)))
