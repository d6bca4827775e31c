"""Reads for customers. Scope is applied here, once, for web, API, export and counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.access.choices import ContactView
from guanxi.access.policies import policy_for
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.normalize import normalize_email, normalize_phone
from guanxi.customers.models import Customer, Interaction, Tag
from guanxi.customers.search import email_key, name_query_tokens, phone_key

__all__ = [
    "customer_filter_email",
    "customer_filter_name",
    "customer_filter_phone",
    "customer_get",
    "customer_list",
    "customer_monthly_new",
    "customer_scope",
    "customer_search",
    "interaction_list",
    "tag_list",
]


def customer_scope(*, actor: Any) -> QuerySet[Customer]:
    """Every customer ``actor`` may see; nothing for users without a role."""
    policy = policy_for(actor)
    qs = Customer.objects.all()
    if not policy.active:
        return qs.none()
    if policy.own_customers_only:
        qs = qs.filter(assigned_manager=actor)
    return qs


def _pseudonymous(actor: Any) -> bool:
    """Analysts know customers by keyed hash only: a search by name, phone, email
    or customer number would link a person to that hash, so it finds nothing."""
    return policy_for(actor).contact_view == ContactView.PSEUDONYMOUS


def customer_filter_phone(
    qs: QuerySet[Customer], phone: str, *, actor: Any
) -> QuerySet[Customer]:
    """Exact phone number in any common format, through the blind index."""
    if _pseudonymous(actor):
        return qs.none()
    try:
        return qs.filter(phone_index=phone_key(normalize_phone(phone)))
    except ValidationFailed:
        return qs.none()


def customer_filter_email(
    qs: QuerySet[Customer], email: str, *, actor: Any
) -> QuerySet[Customer]:
    """Exact email address, through the blind index."""
    if _pseudonymous(actor):
        return qs.none()
    try:
        return qs.filter(email_index=email_key(normalize_email(email)))
    except ValidationFailed:
        return qs.none()


def customer_filter_name(
    qs: QuerySet[Customer], name: str, *, actor: Any
) -> QuerySet[Customer]:
    """Part of a name, through the hashed name tokens."""
    if _pseudonymous(actor):
        return qs.none()
    for token in name_query_tokens(name):
        qs = qs.filter(name_tokens__contains=f" {token} ")
    return qs


def customer_search(
    qs: QuerySet[Customer], text: str, *, actor: Any
) -> QuerySet[Customer]:
    """Free text: an email, a phone number, a customer number or part of a name."""
    text = text.strip()
    if not text:
        return qs
    if _pseudonymous(actor):
        return qs.none()
    if "@" in text:
        return customer_filter_email(qs, text, actor=actor)
    digits = sum(ch.isdigit() for ch in text)
    if digits >= 5 and digits >= len(text.replace(" ", "")) - 4:
        return customer_filter_phone(qs, text, actor=actor)
    if text.isdigit():
        return qs.filter(pk=int(text))
    return customer_filter_name(qs, text, actor=actor)


def customer_list(*, actor: Any) -> QuerySet[Customer]:
    """Customers in ``actor``'s scope, newest first. Filters: ``CustomerFilterSet``."""
    return customer_scope(actor=actor).order_by("-id")


def customer_get(*, actor: Any, pk: int | str) -> Customer:
    """One customer in scope; outside scope is answered exactly like a missing record."""
    try:
        return customer_scope(actor=actor).prefetch_related("tags").get(pk=int(pk))
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("customer not found")) from None


def interaction_list(*, actor: Any, customer: Customer) -> QuerySet[Interaction]:
    """Interactions of ``customer``, newest first; nothing outside ``actor``'s scope."""
    in_scope = customer_scope(actor=actor).filter(pk=customer.pk)
    return Interaction.objects.filter(
        customer_id=customer.pk, customer__in=in_scope
    ).order_by("-occurred_at", "-id")


def tag_list() -> QuerySet[Tag]:
    """All tags by name (tags carry no personal data)."""
    return Tag.objects.order_by("name")


def customer_monthly_new(
    *, actor: Any, periods: Sequence[tuple[dt.datetime, dt.datetime]]
) -> list[int]:
    """How many customers in ``actor``'s scope were first seen in each
    ``[start, end)`` period, in the order given (one pass, no per-row function)."""
    if not periods:
        return []
    qs = customer_scope(actor=actor).filter(
        first_seen_at__gte=min(p[0] for p in periods),
        first_seen_at__lt=max(p[1] for p in periods),
    )
    totals = qs.order_by().aggregate(
        **{
            f"n{i}": Count(
                "id", filter=Q(first_seen_at__gte=begin, first_seen_at__lt=end)
            )
            for i, (begin, end) in enumerate(periods)
        }
    )
    return [totals[f"n{i}"] or 0 for i in range(len(periods))]
