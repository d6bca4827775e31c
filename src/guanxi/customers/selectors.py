"""Reads for customers. Scope is applied here, once, for web, API, export and counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.normalize import normalize_email, normalize_phone
from guanxi.customers.models import Customer, Interaction, Tag
from guanxi.customers.search import email_key, name_query_tokens, phone_key

__all__ = [
    "CustomerFilters",
    "customer_get",
    "customer_list",
    "customer_monthly_new",
    "customer_scope",
    "interaction_list",
    "tag_list",
]


@dataclass(frozen=True)
class CustomerFilters:
    q: str = ""
    phone: str = ""
    email: str = ""
    name: str = ""
    city: str = ""
    tag: str = ""
    gender: str = ""
    assigned_manager: int | None = None


def customer_scope(*, actor: Any) -> QuerySet[Customer]:
    """Every customer ``actor`` may see; nothing for users without a role."""
    policy = policy_for(actor)
    qs = Customer.objects.all()
    if not policy.active:
        return qs.none()
    if policy.own_customers_only:
        qs = qs.filter(assigned_manager=actor)
    return qs


def _search(qs: QuerySet[Customer], text: str, *, actor: Any) -> QuerySet[Customer]:
    """Free text: an email, a phone number, or part of a name."""
    text = text.strip()
    if not text:
        return qs
    policy = policy_for(actor)
    if "@" in text:
        try:
            return qs.filter(email_index=email_key(normalize_email(text)))
        except ValidationFailed:
            return qs.none()
    digits = sum(ch.isdigit() for ch in text)
    if digits >= 5 and digits >= len(text.replace(" ", "")) - 4:
        try:
            return qs.filter(phone_index=phone_key(normalize_phone(text)))
        except ValidationFailed:
            return qs.none()
    if text.isdigit():
        return qs.filter(pk=int(text))
    if policy.contact_view == "pseudonymous":
        # Analysts never search by name: names are not theirs to know.
        return qs.none()
    for token in name_query_tokens(text):
        qs = qs.filter(name_tokens__contains=f" {token} ")
    return qs


def customer_list(
    *, actor: Any, filters: CustomerFilters | None = None
) -> QuerySet[Customer]:
    """Customers in ``actor``'s scope matching ``filters``, newest first."""
    f = filters or CustomerFilters()
    qs = customer_scope(actor=actor)
    if f.q:
        qs = _search(qs, f.q, actor=actor)
    if f.phone:
        try:
            qs = qs.filter(phone_index=phone_key(normalize_phone(f.phone)))
        except ValidationFailed:
            qs = qs.none()
    if f.email:
        try:
            qs = qs.filter(email_index=email_key(normalize_email(f.email)))
        except ValidationFailed:
            qs = qs.none()
    if f.name:
        qs = _search(qs, f.name, actor=actor) if not f.name.isdigit() else qs.none()
    if f.city:
        qs = qs.filter(city=f.city)
    if f.tag:
        qs = qs.filter(tags__name=f.tag)
    if f.gender:
        qs = qs.filter(gender=f.gender)
    if f.assigned_manager is not None:
        qs = qs.filter(assigned_manager_id=f.assigned_manager)
    return qs.order_by("-id")


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
