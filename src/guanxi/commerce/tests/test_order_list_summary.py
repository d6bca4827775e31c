"""The orders list: the exact count and total amount of the filtered orders
(deferred to a second request past the pager's count), and the store as a
choice of the known stores."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.urls import reverse
from tests.access import World

from guanxi.commerce.models import Order
from guanxi.commerce.selectors import order_stores
from guanxi.core import pagination

LIST = reverse("commerce:order-list")
SUMMARY = reverse("commerce:order-summary")
WHEN = dt.datetime(2026, 9, 1, 4, 0, tzinfo=dt.UTC)


def _more_orders(world: World) -> None:
    """Besides the world's two orders of 128.00 at 西湖店 (one per manager)."""
    for n, (customer, amount, store, currency, status) in enumerate(
        [
            (world.own_customer, "10.50", "滨江店", "CNY", "paid"),
            (world.own_customer, "20.00", "滨江店", "CNY", "refunded"),
            (world.foreign_customer, "7.25", "滨江店", "USD", "paid"),
            (world.foreign_customer, "1.00", "", "CNY", "paid"),
        ]
    ):
        Order.objects.create(
            source="pos",
            external_id=f"S-{n}",
            customer=customer,
            ordered_at=WHEN,
            amount=Decimal(amount),
            store=store,
            currency=currency,
            status=status,
        )


def _summary(html: str) -> tuple[str, str]:
    count = re.search(r'<span id="order-count">([^<]*)</span>', html)
    total = re.search(r'<strong id="order-total">([^<]*)</strong>', html)
    assert count is not None and total is not None
    return count.group(1), total.group(1)


def test_the_list_shows_the_exact_count_and_total_of_the_filtered_orders(
    client_for: Any, world: World
) -> None:
    _more_orders(world)
    client = client_for("admin")
    html = client.get(LIST).content.decode()
    assert _summary(html) == ("6 orders", "CNY 287.50 + USD 7.25")
    html = client.get(LIST, {"store": "滨江店", "status": "paid"}).content.decode()
    assert _summary(html) == ("2 orders", "CNY 10.50 + USD 7.25")
    html = client.get(LIST, {"store": "无此店"}).content.decode()
    assert _summary(html) == ("0 orders", "0.00")


def test_an_account_manager_counts_only_their_customers_orders(
    client_for: Any, world: World
) -> None:
    _more_orders(world)
    html = client_for("account_manager").get(LIST).content.decode()
    assert _summary(html) == ("3 orders", "CNY 158.50")
    answer = client_for("account_manager").get(SUMMARY).content.decode()
    assert _summary(answer) == ("3 orders", "CNY 158.50")


def test_past_the_pagers_count_the_summary_comes_in_a_second_request(
    client_for: Any, world: World, monkeypatch: Any
) -> None:
    _more_orders(world)
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    client = client_for("admin")
    html = client.get(LIST, {"store": "滨江店"}).content.decode()
    assert 'id="order-count"' not in html
    assert f'hx-get="{SUMMARY}?store=%E6%BB%A8%E6%B1%9F%E5%BA%97"' in html
    answer = client.get(SUMMARY, {"store": "滨江店"}).content.decode()
    assert _summary(answer) == ("3 orders", "CNY 30.50 + USD 7.25")


def test_the_store_is_a_choice_of_the_known_stores(
    client_for: Any, world: World
) -> None:
    _more_orders(world)
    assert order_stores() == ["滨江店", "西湖店"]
    html = client_for("admin").get(LIST, {"store": "西湖店"}).content.decode()
    assert '<select id="id_store" name="store">' in html
    assert '<option value="西湖店" selected>西湖店</option>' in html
    assert '<option value="滨江店">滨江店</option>' in html
    zh = client_for("admin", "zh-hans").get(LIST).content.decode()
    assert "总金额" in zh


def test_bad_input_gets_a_message(client_for: Any, world: World) -> None:
    client = client_for("admin")
    for url in (LIST, SUMMARY):
        answer = client.get(url, {"ordered_from": "2026-02-30"})
        assert answer.status_code == 400
        assert "Ordered from: impossible date" in answer.content.decode()


def test_the_summary_cache_key_is_keyed_not_a_bare_hash_of_the_query(
    client_for: Any, world: World
) -> None:
    """The query may hold a phone number: its cache key is a keyed hash."""
    import hashlib

    from django.core.cache import cache
    from django.utils.crypto import salted_hmac

    from guanxi.access.policies import scope_for

    client = client_for("admin")
    query = "q=13800138000"
    client.get(f"{SUMMARY}?{query}")
    scope = scope_for(world.users["admin"]).cache_key
    bare = hashlib.sha256(query.encode()).hexdigest()[:32]
    keyed = salted_hmac("guanxi.commerce.order_summary", query).hexdigest()[:32]
    assert cache.get(f"orders:summary:{scope}:{bare}") is None
    assert cache.get(f"orders:summary:{scope}:{keyed}") is not None
