"""The customer list's purchase columns, sorts and combined filters, and its
answers to bad input (a message, nothing listed, nothing changed)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from tests.access import World

from guanxi.commerce.services import OrderInput, order_bulk_create
from guanxi.customers import views
from guanxi.customers.models import Customer, CustomerIdentity
from guanxi.customers.services import customer_apply_contact

LIST = reverse("customers:customer-list")
WHEN = dt.datetime(2026, 6, 1, 4, 0, tzinfo=dt.UTC)


def names_in(html: str) -> list[str]:
    return re.findall(r'<td><a href="/customers/\d+/">([^<]*)</a></td>', html)


@pytest.fixture
def shop(world: World) -> dict[str, Customer]:
    """Five more customers of the account manager: spends 50, 300, 300, 1200
    and none (the world's two customers have orders written around the
    services, so their kept figures stay 0)."""
    made: dict[str, Customer] = {}
    for n, (name, city) in enumerate(
        [("甲", "杭州"), ("乙", "上海"), ("丙", "杭州"), ("丁", "杭州"), ("戊", "上海")]
    ):
        c = Customer(
            name=name,
            phone=f"+861370000{n:04d}",
            city=city,
            assigned_manager=world.users["account_manager"],
        )
        customer_apply_contact(c)
        c.save()
        made[name] = c
    orders = []
    for name, amounts, days in (
        ("甲", ["50"], [0]),
        ("乙", ["100", "200"], [3, 40]),
        ("丙", ["300"], [10]),
        ("丁", ["1000", "200"], [1, 2]),
    ):
        for i, (amount, day) in enumerate(zip(amounts, days, strict=True)):
            orders.append(
                OrderInput(
                    external_id=f"{name}-{i}",
                    customer_id=made[name].pk,
                    ordered_at=WHEN + dt.timedelta(days=day),
                    amount=Decimal(amount),
                )
            )
    order_bulk_create(actor=world.users["admin"], orders=orders)
    CustomerIdentity.objects.create(
        customer=made["丙"], source="eshop", external_id="E1"
    )
    return made


def test_the_list_shows_spend_orders_and_last_purchase(
    client_for: Any, shop: Any
) -> None:
    html = client_for("admin").get(LIST, {"q": "丁"}).content.decode()
    assert names_in(html) == ["丁"]
    row = html[html.index(">丁<") :]
    assert re.search(r'<td class="num">1,200.00</td>\s*<td class="num">2</td>', row)
    assert "<td>2026-06-03</td>" in row
    html = client_for("admin", "zh-hans").get(LIST).content.decode()
    assert "消费总额" in html and "最近购买" in html


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-spend", ["丁", "丙", "乙", "甲", "戊", "李雷", "王芳"]),
        ("spend", ["王芳", "李雷", "戊", "甲", "乙", "丙", "丁"]),
        ("-orders", ["丁", "乙", "丙", "甲", "戊", "李雷", "王芳"]),
        ("-last_purchase", ["乙", "丙", "丁", "甲"]),
        ("last_purchase", ["甲", "丁", "丙", "乙"]),
    ],
)
def test_sorts_page_through_every_customer_in_order(
    client_for: Any,
    shop: Any,
    sort: str,
    expected: list[str],
    monkeypatch: Any,
) -> None:
    """Three a page: the keyset cursors (decimal, count, moment) carry on."""
    monkeypatch.setattr(views, "CUSTOMERS_PER_PAGE", 3)
    client = client_for("admin")
    seen: list[str] = []
    query: dict[str, str] = {"sort": sort}
    for _page in range(5):
        html = client.get(LIST, query).content.decode()
        seen += names_in(html)
        cursor = re.search(r'rel="next" href="[^"]*after=([^"&]+)"', html)
        if cursor is None:
            break
        query = {"sort": sort, "after": cursor.group(1)}
    assert seen == expected
    if "last_purchase" in sort:
        assert "customers without a purchase are not listed" in html


def test_filters_combine(client_for: Any, shop: Any, world: World) -> None:
    client = client_for("admin")

    def names(**query: str) -> list[str]:
        return names_in(client.get(LIST, query).content.decode())

    assert names(city="杭州", spend_min="100") == ["丁", "丙"]
    assert names(city="杭州", spend_min="100", spend_max="500") == ["丙"]
    assert names(purchases="none", city="上海") == ["戊"]
    assert names(purchases="any", last_purchase_from="2026-06-10") == ["丙", "乙"]
    assert names(last_purchase_to="2026-06-03", spend_max="99") == ["甲"]
    assert names(source="eshop") == ["丙"]
    assert names(source="eshop", city="上海") == []
    manager = str(world.other_manager.pk)
    assert names(assigned_manager=manager) == ["李雷"]
    assert names(assigned_manager=manager, purchases="any") == []


def test_an_account_manager_never_sees_anothers_customer_by_filter(
    client_for: Any, shop: Any, world: World
) -> None:
    client = client_for("account_manager")
    html = client.get(
        LIST, {"assigned_manager": str(world.other_manager.pk)}
    ).content.decode()
    assert names_in(html) == []
    assert "李雷" not in html
    # Nor the manager filter itself: it lists colleagues for roles that see
    # everyone only.
    assert 'name="assigned_manager"' not in client.get(LIST).content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"spend_min": "abc"}, "Spend at least: not an amount"),
        ({"spend_max": "-5"}, "Spend at most: amount must not be negative"),
        ({"last_purchase_from": "2026-13-01"}, "Last purchase from: impossible date"),
        (
            {"purchases": "some"},
            "Purchases: Select a valid choice. some is not one of the available "
            "choices.",
        ),
        (
            {"sort": "name"},
            "unknown sort order (choose one of: -spend, spend, -orders, orders, "
            "-last_purchase, last_purchase)",
        ),
    ],
)
def test_bad_input_gets_its_message_and_lists_nothing(
    client_for: Any, shop: Any, query: dict[str, str], message: str
) -> None:
    before = list(Customer.objects.order_by("pk").values_list("pk", "purchase_total"))
    client = client_for("admin")
    response = client.get(LIST, query)
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        f'<p class="message error" role="alert" id="list-error">{message}</p>' in html
    )
    assert names_in(html) == []
    fragment = client.get(LIST, query, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert message in fragment.content.decode()
    after = list(Customer.objects.order_by("pk").values_list("pk", "purchase_total"))
    assert after == before


def test_the_api_filters_the_same_way(api_client_for: Any, shop: Any) -> None:
    api = api_client_for("admin")
    answer = api.get("/api/v1/customers/", {"city": "杭州", "spend_min": "100"})
    assert answer.status_code == 200
    assert sorted(c["city"] for c in answer.json()["results"]) == ["杭州", "杭州"]
    bad = api.get("/api/v1/customers/", {"spend_min": "abc"})
    assert bad.status_code == 400
