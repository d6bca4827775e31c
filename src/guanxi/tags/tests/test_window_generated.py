"""The preference window read as Arrow and grouped by DuckDB (a run on the
embedded SQLite, outside a transaction) gives the same tags as its rules run
in the database (PostgreSQL, SQLite inside a transaction), on a generated
world: random orders, channels, categories, cancellations, large orders,
times near midnight."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection, transaction

from guanxi.customers.models import CustomerTag
from guanxi.tags.models import TagRules
from guanxi.tags.services import automatic_tags_refresh
from guanxi.tags.tests import factories as f
from guanxi.tags.window import window_pairs_read

AS_OF = dt.date(2026, 6, 30)
CHANNELS = ["store", "online", "tmall", "jd", ""]
STAGES = ["new", "growing", "mature", "at_risk", "lapsed", "prospect"]


def _world(seed: int, customers: int) -> None:
    """Customers with random snapshots and orders over 15 months (some
    cancelled, some large, some near midnight), in four categories."""
    pick = random.Random(seed)
    products = [
        f.product(f"P-{n}", category)
        for n, category in enumerate(["绿茶", "红茶", "花茶", "绿茶", "", "茶具"])
    ]
    f.run(AS_OF)
    for _ in range(customers):
        person = f.customer(
            birthday=dt.date(1980 + pick.randrange(30), pick.randrange(1, 13), 3),
            preferred_channel=pick.choice(["wecom", "email", "sms", ""]),
        )
        orders = pick.randrange(0, 9)
        f.snapshot(
            person,
            AS_OF,
            stage=pick.choice(STAGES),
            quadrant=pick.choice(["star", "cash_cow", "potential", "basic"]),
            orders=orders,
            total_spend=float(pick.randrange(0, 5000)),
            mean_gap_days=float(pick.randrange(3, 120)) if orders > 1 else None,
            churn_risk=pick.random(),
            days_since_last_purchase=pick.randrange(0, 400),
        )
        for _ in range(orders):
            when = dt.datetime(2025, 4, 1) + dt.timedelta(
                minutes=pick.randrange(0, 455 * 24 * 60)
            )
            lines = [
                (
                    pick.choice(products),
                    pick.choice([1, 1, 2, 12, 30]),
                    f"{pick.randrange(1, 900)}.{pick.randrange(100):02d}",
                )
                for _ in range(pick.randrange(1, 4))
            ]
            f.order(
                person,
                when,
                lines=lines,
                channel=pick.choice(CHANNELS),
                status=pick.choice(["paid", "paid", "paid", "cancelled"]),
            )


def _links() -> set[tuple[int, str]]:
    return {
        (int(customer), str(key))
        for customer, key in CustomerTag.objects.filter(
            tag__key__isnull=False
        ).values_list("customer_id", "tag__key")
    }


@pytest.mark.django_db(transaction=True)
def test_duckdb_gives_the_same_tags_as_the_rules_in_the_database() -> None:
    _world(seed=9, customers=150)
    rules = TagRules.objects.get_or_create(pk=1)[0]
    pairs = window_pairs_read(as_of=AS_OF, rules=rules)
    assert (pairs is not None) == (connection.vendor == "sqlite")
    first = automatic_tags_refresh(as_of=AS_OF)
    by_duckdb = _links()
    assert {key.split(":")[0] for _c, key in by_duckdb} >= {
        "channel",
        "category",
        "habit",
        "scenario",
        "stage",
    }
    # Inside a transaction the window's rules run in the database: nothing
    # to change.
    with transaction.atomic():
        again = automatic_tags_refresh(as_of=AS_OF)
    assert _links() == by_duckdb
    assert (again.added, again.removed) == (0, 0)
    assert again.automatic_links == first.automatic_links == len(by_duckdb)
