"""Reads for orders, scoped through the customers the actor may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.commerce.models import Order
from guanxi.core.errors import NotFound

__all__ = ["OrderFilters", "order_get", "order_list", "order_monthly_summary"]


@dataclass(frozen=True)
class OrderFilters:
    customer: int | None = None
    status: str = ""
    store: str = ""
    source: str = ""
    ordered_from: Any = None
    ordered_to: Any = None


def order_list(*, actor: Any, filters: OrderFilters | None = None) -> QuerySet[Order]:
    """Orders of the customers in ``actor``'s scope, newest first."""
    policy = policy_for(actor)
    qs = Order.objects.all()
    if not policy.active:
        return qs.none()
    if policy.own_customers_only:
        qs = qs.filter(customer__assigned_manager=actor)
    f = filters or OrderFilters()
    if f.customer is not None:
        qs = qs.filter(customer_id=f.customer)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.store:
        qs = qs.filter(store=f.store)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.ordered_from is not None:
        qs = qs.filter(ordered_at__gte=f.ordered_from)
    if f.ordered_to is not None:
        qs = qs.filter(ordered_at__lt=f.ordered_to)
    return qs.order_by("-ordered_at", "-id")


def order_get(*, actor: Any, pk: int | str) -> Order:
    try:
        return (
            order_list(actor=actor).prefetch_related("lines__product").get(pk=int(pk))
        )
    except (Order.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("order not found")) from None


def order_monthly_summary(*, actor: Any, since: Any) -> list[dict[str, Any]]:
    """Orders and revenue per calendar month since ``since`` in ``actor``'s scope.

    Cancelled and refunded orders are left out of both figures. Rows are
    ``{"month": date, "orders": n, "revenue": Decimal}``.
    """
    rows = (
        order_list(actor=actor, filters=OrderFilters(ordered_from=since))
        .exclude(status__in=["cancelled", "refunded"])
        .annotate(month=TruncMonth("ordered_at"))
        .values("month")
        .annotate(orders=Count("id"), revenue=Sum("amount"))
        .order_by("month")
    )
    return [
        {
            "month": r["month"].date() if hasattr(r["month"], "date") else r["month"],
            "orders": r["orders"],
            "revenue": r["revenue"],
        }
        for r in rows
    ]
