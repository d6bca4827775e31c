"""Order list and detail: scope, filters, customer labels per role, query counts."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.urls import reverse
from tests.access import World

from guanxi.commerce.models import Order
from guanxi.core.crypto import pseudonym

LIST = reverse("commerce:order-list")


def order_ids(html: str) -> list[str]:
    return re.findall(r'<td class="mono"><a href="/orders/\d+/">([^<]*)</a></td>', html)


def _more_orders(world: World, n: int) -> None:
    base = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    Order.objects.bulk_create(
        Order(
            source="shop",
            external_id=f"S-{i:03d}",
            customer=world.foreign_customer if i % 2 else world.own_customer,
            ordered_at=base + dt.timedelta(hours=i // 3),  # ties on ordered_at
            amount=Decimal(i),
            status="refunded" if i % 5 == 0 else "paid",
            store="西湖店" if i % 3 else "外滩店",
        )
        for i in range(n)
    )


def test_admin_sees_all_orders_newest_first(client_for: Any, world: World) -> None:
    html = client_for("admin").get(LIST).content.decode()
    assert order_ids(html) == ["B-2001", "A-1001"]
    assert "王芳" in html and "李雷" in html
    assert "CNY 128.00" in html


def test_account_manager_sees_only_orders_of_own_customers(
    client_for: Any, world: World
) -> None:
    client = client_for("account_manager")
    html = client.get(LIST).content.decode()
    assert order_ids(html) == ["A-1001"]
    assert "李雷" not in html
    foreign = reverse("commerce:order-detail", args=[world.foreign_order.pk])
    assert client.get(foreign).status_code == 404


def test_analyst_sees_pseudonyms_instead_of_customers(
    client_for: Any, world: World
) -> None:
    client = client_for("analyst")
    html = client.get(LIST).content.decode()
    assert pseudonym(world.own_customer.pk) in html
    assert "王芳" not in html and "李雷" not in html
    assert "/customers/" not in html.split("<main", 1)[1]
    page = client.get(reverse("commerce:order-detail", args=[world.own_order.pk]))
    text = page.content.decode()
    assert pseudonym(world.own_customer.pk) in text
    assert "王芳" not in text
    assert "13800138000" not in text


def test_order_detail_shows_lines(client_for: Any, world: World) -> None:
    url = reverse("commerce:order-detail", args=[world.own_order.pk])
    html = client_for("operations").get(url).content.decode()
    assert "龙井 Longjing" in html
    assert "TEA-001" in html
    assert '<td class="num">2</td><td class="num">64.00</td>' in html
    assert f'href="/customers/{world.own_customer.pk}/">王芳</a>' in html


def test_filters_status_store_and_dates(client_for: Any, world: World) -> None:
    _more_orders(world, 12)
    client = client_for("admin")
    refunded = order_ids(client.get(LIST, {"status": "refunded"}).content.decode())
    assert sorted(refunded) == ["S-000", "S-005", "S-010"]
    bund = order_ids(client.get(LIST, {"store": "外滩店"}).content.decode())
    assert sorted(bund) == ["S-000", "S-003", "S-006", "S-009"]
    dated = order_ids(
        client.get(
            LIST, {"ordered_from": "2026-10-01", "ordered_to": "2026-10-01"}
        ).content.decode()
    )
    assert dated == ["B-2001", "A-1001"]
    ignored = order_ids(
        client.get(LIST, {"status": "lost", "ordered_from": "x"}).content.decode()
    )
    assert len(ignored) == 14


def test_orders_page_by_time_and_id_without_gaps(
    client_for: Any, world: World, django_assert_max_num_queries: Any
) -> None:
    _more_orders(world, 118)
    client = client_for("admin")
    seen: list[str] = []
    url = LIST
    pages = 0
    while True:
        with django_assert_max_num_queries(8):
            html = client.get(url).content.decode()
        seen += order_ids(html)
        pages += 1
        found = re.search(r'href="(/orders/\?after=[\w-]+)"', html)
        if not found:
            break
        url = found.group(1)
    assert pages == 3
    assert len(seen) == len(set(seen)) == 120
    assert "120 results" in html


def test_order_detail_query_count(
    client_for: Any, world: World, django_assert_max_num_queries: Any
) -> None:
    url = reverse("commerce:order-detail", args=[world.own_order.pk])
    client = client_for("account_manager")
    with django_assert_max_num_queries(7):
        response = client.get(url)
    assert response.status_code == 200
