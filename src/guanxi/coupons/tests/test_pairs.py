"""Co-purchase pairs and recommendations on a constructed example with known
figures."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest

from guanxi.commerce.models import Order, OrderLine, Product
from guanxi.coupons.models import ProductPair
from guanxi.coupons.selectors import recommend_for
from guanxi.coupons.services import product_pairs_compute

WHEN = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
_ids = itertools.count(1)


@pytest.fixture
def shop(make_customer: Any) -> dict[str, Any]:
    """Five buyers: A+B, A+B, A+B+C (in two orders, B twice), A, C; and a
    refunded order of B and C that does not count."""
    products = {
        k: Product.objects.create(sku=k, name=f"产品{k}") for k in ("A", "B", "C")
    }
    people: dict[str, Any] = {}

    def buy(who: str, skus: str, status: str = "paid") -> None:
        person = people.setdefault(who, make_customer())
        order = Order.objects.create(
            source="pos",
            external_id=str(next(_ids)),
            customer=person,
            ordered_at=WHEN,
            amount=Decimal("10.00") * len(skus),
            status=status,
        )
        for sku in skus:
            OrderLine.objects.create(
                order=order,
                product=products[sku],
                unit_price=Decimal("10.00"),
                amount=Decimal("10.00"),
            )

    buy("c1", "AB")
    buy("c2", "AB")
    buy("c3", "AB")
    buy("c3", "CB")
    buy("c4", "A")
    buy("c5", "C")
    buy("c6", "BC", status="refunded")
    return {"products": products, "people": people}


def _pairs() -> dict[tuple[str, str], tuple[int, float, float, float]]:
    return {
        (p.antecedent.sku, p.consequent.sku): (
            p.together,
            round(p.support, 4),
            round(p.confidence, 4),
            round(p.lift, 4),
        )
        for p in ProductPair.objects.select_related("antecedent", "consequent")
    }


@pytest.mark.django_db
def test_pairs_have_the_known_support_confidence_and_lift(shop: Any) -> None:
    # N = 5 buyers; n(A) = 4, n(B) = 3, n(C) = 2; n(AB) = 3, n(AC) = n(BC) = 1.
    done = product_pairs_compute(min_together=2)
    assert (done.pairs, done.customers) == (2, 5)
    assert _pairs() == {
        ("A", "B"): (3, 0.6, 0.75, 1.25),
        ("B", "A"): (3, 0.6, 1.0, 1.25),
    }
    product_pairs_compute(min_together=1)
    assert _pairs() == {
        ("A", "B"): (3, 0.6, 0.75, 1.25),
        ("B", "A"): (3, 0.6, 1.0, 1.25),
        ("A", "C"): (1, 0.2, 0.25, 0.625),
        ("C", "A"): (1, 0.2, 0.5, 0.625),
        ("B", "C"): (1, 0.2, 0.3333, 0.8333),
        ("C", "B"): (1, 0.2, 0.5, 0.8333),
    }


@pytest.mark.django_db
def test_recommendations_leave_out_what_was_bought(shop: Any) -> None:
    product_pairs_compute(min_together=1)
    people = shop["people"]

    def names(who: str, limit: int = 3) -> list[tuple[str, str]]:
        return [
            (r.sku, r.because_name)
            for r in recommend_for(customer_id=people[who].pk, limit=limit)
        ]

    assert names("c4") == [("B", "产品A"), ("C", "产品A")]
    # Equal confidence (0.5): the higher lift first.
    assert names("c5") == [("B", "产品C"), ("A", "产品C")]
    assert names("c5", limit=1) == [("B", "产品C")]
    assert names("c3") == []
    # The refunded order counts for nothing: c6 bought nothing.
    assert names("c6") == []
