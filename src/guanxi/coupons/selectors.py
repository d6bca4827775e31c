"""Reads of the coupons app: definitions, issued coupons (scoped like
customers), redemption rates per definition and per source, a customer's
coupons, and product recommendations from the co-purchase pairs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import get_language

from guanxi.access.policies import scope_for
from guanxi.commerce.selectors import purchase_line_rows
from guanxi.core.errors import NotFound
from guanxi.coupons.models import CouponDefinition, IssuedCoupon, ProductPair

__all__ = [
    "Recommendation",
    "RedemptionRate",
    "coupon_definition_get",
    "coupon_definition_list",
    "coupon_definition_name",
    "coupon_rates_by_definition",
    "coupon_rates_by_source",
    "customer_coupon_cards",
    "customer_coupon_events",
    "customer_coupon_list",
    "issued_coupon_list",
    "recommend_for",
]


def coupon_definition_list() -> QuerySet[CouponDefinition]:
    """Every coupon definition (definitions hold no personal data)."""
    return CouponDefinition.objects.all()


def coupon_definition_get(*, pk: Any = None, slug: str = "") -> CouponDefinition:
    try:
        if slug:
            return CouponDefinition.objects.get(slug=slug)
        return CouponDefinition.objects.get(pk=int(pk))
    except (CouponDefinition.DoesNotExist, TypeError, ValueError):
        raise NotFound("coupon not found") from None


def coupon_definition_name(definition: CouponDefinition) -> str:
    """The definition's name in the active language."""
    if (get_language() or "").startswith("zh"):
        return definition.name_zh or definition.name_en
    return definition.name_en or definition.name_zh


def issued_coupon_list(
    *, actor: Any, definition: CouponDefinition | None = None
) -> QuerySet[IssuedCoupon]:
    """Issued coupons of the customers in ``actor``'s scope, newest first."""
    qs = scope_for(actor).apply(IssuedCoupon.objects.all(), via="customer")
    if definition is not None:
        qs = qs.filter(definition=definition)
    return qs.select_related("definition").order_by("-issued_at", "-id")


def customer_coupon_list(*, actor: Any, customer_id: int) -> QuerySet[IssuedCoupon]:
    """One customer's coupons (the caller checked the customer is in scope)."""
    return issued_coupon_list(actor=actor).filter(customer_id=customer_id)


@dataclass(frozen=True)
class RedemptionRate:
    key: Any
    issued: int
    redeemed: int

    @property
    def rate(self) -> float | None:
        """Redeemed over issued; None before anything was issued."""
        return self.redeemed / self.issued if self.issued else None


def _rates(qs: QuerySet[IssuedCoupon], key: str) -> dict[Any, RedemptionRate]:
    rows = (
        qs.order_by()
        .values(key)
        .annotate(
            issued=Count("id"),
            redeemed=Count("id", filter=Q(redeemed_order__isnull=False)),
        )
        .values_list(key, "issued", "redeemed")
    )
    return {k: RedemptionRate(k, issued, redeemed) for k, issued, redeemed in rows}


def coupon_rates_by_definition(*, actor: Any) -> dict[int, RedemptionRate]:
    """Issued and redeemed coupons per definition id (within scope)."""
    return _rates(issued_coupon_list(actor=actor), "definition_id")


def coupon_rates_by_source(
    *, actor: Any, definition: CouponDefinition | None = None, source: str = ""
) -> dict[str, RedemptionRate]:
    """Issued and redeemed coupons per source ("staff", "api",
    "journey:<slug>"), of one definition or all, of one source or all. The
    journeys report reads ``source="journey:<slug>"``."""
    qs = issued_coupon_list(actor=actor, definition=definition)
    if source:
        qs = qs.filter(source=source)
    return _rates(qs, "source")


@dataclass(frozen=True)
class Recommendation:
    """A product to suggest, and why: the customer bought ``because_name``."""

    product_id: int
    sku: str
    name: str
    because_id: int
    because_name: str
    confidence: float
    lift: float


def recommend_for(*, customer_id: int, limit: int = 3) -> list[Recommendation]:
    """Products the customer has not bought that buyers of what they bought
    often also bought: best (confidence, then lift) first, each once, with the
    product behind it. Reads the stored pairs (see ``product_pairs_compute``)."""
    bought = (
        purchase_line_rows()
        .filter(order__customer_id=customer_id)
        .order_by()
        .values("product_id")
    )
    # One query: the best pairs from what they bought to what they did not,
    # with both products' names.
    pairs = (
        ProductPair.objects.filter(antecedent_id__in=bought)
        .exclude(consequent_id__in=bought)
        .select_related("antecedent", "consequent")
        .order_by("-confidence", "-lift", "consequent_id", "antecedent_id")
    )
    chosen: dict[int, ProductPair] = {}
    for pair in pairs[: max(limit, 1) * 20]:
        if pair.consequent_id not in chosen:
            chosen[pair.consequent_id] = pair
            if len(chosen) >= limit:
                break
    return [
        Recommendation(
            product_id=pair.consequent_id,
            sku=pair.consequent.sku,
            name=pair.consequent.name,
            because_id=pair.antecedent_id,
            because_name=pair.antecedent.name,
            confidence=pair.confidence,
            lift=pair.lift,
        )
        for pair in chosen.values()
    ]


#: The most coupons the customer page lists (newest first).
CUSTOMER_COUPONS_SHOWN = 5


def customer_coupon_cards(*, actor: Any, customer_id: int) -> dict[str, Any]:
    """The customer page's two small cards: the customer's latest coupons and
    up to three recommended products with the reason (the caller checked the
    customer is in scope)."""
    from django.utils import timezone

    now = timezone.now()
    coupons = [
        {
            "code": c.code,
            "name": coupon_definition_name(c.definition),
            "expires_at": c.expires_at,
            "state": (
                "redeemed"
                if c.redeemed_order_id is not None
                else "expired"
                if c.expires_at <= now
                else "open"
            ),
        }
        for c in customer_coupon_list(actor=actor, customer_id=customer_id)[
            :CUSTOMER_COUPONS_SHOWN
        ]
    ]
    return {
        "coupons": coupons,
        "recommendations": recommend_for(customer_id=customer_id, limit=3),
    }


def customer_coupon_events(
    *, actor: Any, customer_id: int, limit: int
) -> list[dict[str, Any]]:
    """The customer's coupons on their timeline: issued, and redeemed (each
    with the moment), newest first, at most ``limit`` of each."""
    from django.utils.translation import gettext as _

    rows = list(customer_coupon_list(actor=actor, customer_id=customer_id)[:limit])
    events: list[dict[str, Any]] = [
        {
            "kind": "coupon",
            "at": c.issued_at,
            "text": _("Coupon issued: %(name)s (%(code)s)")
            % {"name": coupon_definition_name(c.definition), "code": c.code},
        }
        for c in rows
    ]
    events += [
        {
            "kind": "coupon",
            "at": c.redeemed_at,
            "text": _("Coupon redeemed: %(name)s (%(code)s)")
            % {"name": coupon_definition_name(c.definition), "code": c.code},
        }
        for c in rows
        if c.redeemed_at is not None
    ]
    return events
