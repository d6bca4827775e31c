"""Layout, login, dashboard, language and navigation (error pages: test_error_pages)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from tests.access import World, make_client


def test_login_page_and_login(world: World) -> None:
    user = get_user_model().objects.create_user(username="li", password="s3cret-pass!")
    client = make_client(headers={"Accept-Language": "en"})
    page = client.get(reverse("web:login")).content.decode()
    assert "Log in to Guanxi" in page
    response = client.post(
        reverse("web:login"), {"username": "li", "password": "s3cret-pass!"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").wsgi_request.user == user


def test_wrong_password_gives_the_exact_message(world: World) -> None:
    get_user_model().objects.create_user(username="li", password="s3cret-pass!")
    client = make_client(headers={"Accept-Language": "en"})
    response = client.post(reverse("web:login"), {"username": "li", "password": "no"})
    assert response.status_code == 200
    assert (
        "Please enter a correct username and password. Note that both fields may "
        "be case-sensitive." in response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_logged_out_visitors_are_sent_to_login(db: Any) -> None:
    response = make_client().get(reverse("customers:customer-list"))
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/customers/"


def test_logout_is_a_post(client_for: Any, world: World) -> None:
    client = client_for("admin")
    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))
    assert response["Location"] == "/login/"
    assert client.get("/").status_code == 302


ORDERS = "/dashboard/orders/"


def test_dashboard_counts_in_scope(client_for: Any, world: World) -> None:
    page = client_for("admin").get("/").content.decode()
    # The page loads its order figures (htmx), so it never waits for them.
    assert 'hx-get="/dashboard/orders/" hx-trigger="load"' in page
    assert "/static/vendor/echarts.min.js" in page
    assert "/static/web/dashboard.js" in page
    admin = client_for("admin").get(ORDERS).content.decode()
    manager = client_for("account_manager").get(ORDERS).content.decode()

    def stat(html: str, name: str) -> str:
        found = re.search(rf'id="stat-{name}">([^<]*)<', html)
        assert found is not None
        return found.group(1)

    assert stat(admin, "customers") == "2"
    assert stat(manager, "customers") == "1"
    # The world's orders are dated 2026-10-01: inside or outside the last 30 days
    # depending on today, so compare with what the database says.
    chart = json.loads(
        re.search(
            r'id="dashboard-data" type="application/json">(.*?)</script>', admin
        ).group(1)  # type: ignore[union-attr]
    )
    assert len(chart["months"]) == 12
    assert len(chart["revenue"]) == 12
    assert chart["labels"] == {"revenue": "Revenue", "new_customers": "New customers"}
    assert stat(manager, "revenue").startswith("¥")


def test_dashboard_series_counts_recent_months(
    client_for: Any, world: World, db: Any
) -> None:
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from guanxi.commerce.models import Order

    now = timezone.now()
    Order.objects.create(
        source="shop",
        external_id="NOW-1",
        customer=world.own_customer,
        ordered_at=now - dt.timedelta(minutes=5),
        amount=Decimal("300.50"),
    )
    Order.objects.create(
        source="shop",
        external_id="NOW-2",
        customer=world.foreign_customer,
        ordered_at=now - dt.timedelta(minutes=5),
        amount=Decimal("99.50"),
        status="refunded",
    )
    world.own_customer.first_seen_at = now - dt.timedelta(minutes=5)
    world.own_customer.save()
    html = client_for("account_manager").get(ORDERS).content.decode()
    chart = json.loads(
        re.search(
            r'id="dashboard-data" type="application/json">(.*?)</script>', html
        ).group(1)  # type: ignore[union-attr]
    )
    assert chart["months"][-1] == timezone.localtime(now).strftime("%Y-%m")
    assert chart["revenue"][-1] >= 300.5
    assert chart["new_customers"][-1] == 1
    admin_html = client_for("admin").get(ORDERS).content.decode()
    admin_chart = json.loads(
        re.search(
            r'id="dashboard-data" type="application/json">(.*?)</script>', admin_html
        ).group(1)  # type: ignore[union-attr]
    )
    # The refunded order is not revenue.
    assert admin_chart["revenue"][-1] == chart["revenue"][-1]


def test_user_without_role_sees_a_notice(client_for: Any, world: World) -> None:
    html = client_for("no_role").get("/").content.decode()
    assert "Your account has no role yet." in html
    assert "/dashboard/orders/" not in html
    assert (
        'id="stat-customers">0<' in client_for("no_role").get(ORDERS).content.decode()
    )
    assert 'class="mainnav"' in html
    assert 'href="/customers/"' not in html


def test_language_follows_the_browser(client_for: Any, world: World) -> None:
    english = client_for("admin", language="en").get("/customers/").content.decode()
    chinese = client_for("admin", language="zh-hans").get("/customers/").content
    assert "<h1>Customers</h1>" in english
    assert '<html lang="en">' in english
    text = chinese.decode()
    assert "<h1>客户</h1>" in text
    assert '<html lang="zh-hans">' in text


def test_language_switch_in_the_header(client_for: Any, world: World) -> None:
    client = client_for("admin", language="en")
    response = client.post(
        "/i18n/setlang/", {"language": "zh-hans", "next": "/orders/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/orders/"
    assert "<h1>订单</h1>" in client.get("/orders/").content.decode()


def test_navigation_marks_the_current_page(client_for: Any, world: World) -> None:
    html = client_for("admin").get("/orders/").content.decode()
    assert '<a href="/orders/" class="active" aria-current="page">Orders</a>' in html
    assert '<a href="/customers/">Customers</a>' in html


def test_imports_link_only_for_roles_that_may_import(
    client_for: Any, world: World
) -> None:
    from guanxi.web.context_processors import _first_url_in

    url = _first_url_in("ingest")
    ops = client_for("operations").get("/").content.decode()
    service = client_for("service").get("/").content.decode()
    assert ">Imports</a>" not in service
    if url is None:
        assert ">Imports</a>" not in ops
    else:
        assert f'<a href="{url}">Imports</a>' in ops


@pytest.mark.parametrize("role", ["admin", "operations", "account_manager"])
def test_dashboard_query_count_and_cache(
    role: str, crowded_world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(role)
    # session, user, role + latest run (none yet: no score figures to read)
    with django_assert_num_queries(4):
        client.get("/")
    # session, user, role + orders of 30 days, monthly orders, monthly new
    # customers, customers
    with django_assert_num_queries(7):
        client.get(ORDERS)
    with django_assert_num_queries(3):  # session, user, role: figures cached
        client.get(ORDERS)


def test_one_request_at_a_time_computes_the_order_figures(
    client_for: Any, world: World
) -> None:
    """While one request computes a scope's order figures, another for the
    same scope is told to ask again (at a million customers they take tens of
    seconds: ten requests computing them at once held every server thread)."""
    from django.core.cache import cache

    cache.add("guanxi:dashboard:all:computing", True, 60)  # someone is at it
    waiting = client_for("admin").get(ORDERS)
    assert waiting.status_code == 200
    body = waiting.content.decode()
    assert 'hx-trigger="load delay:3s"' in body
    assert "The order figures are being computed" in body
    assert "stat-customers" not in body
    # Another scope is not held back.
    assert (
        'id="stat-customers">1<'
        in client_for("account_manager").get(ORDERS).content.decode()
    )
    cache.delete("guanxi:dashboard:all:computing")
    assert 'id="stat-customers">2<' in client_for("admin").get(ORDERS).content.decode()
    # The computing request let go of the lock, figures or not.
    assert cache.get("guanxi:dashboard:all:computing") is None
    chinese = client_for("operations", "zh-hans")
    cache.add("guanxi:dashboard:all:computing", True, 60)
    cache.delete("guanxi:dashboard:all")
    assert "订单数据正在计算" in chinese.get(ORDERS).content.decode()


def test_too_many_failed_logins_lock_the_account(world: World, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    get_user_model().objects.create_user(username="li", password="s3cret-pass!")
    client = make_client(headers={"Accept-Language": "en"})
    for _ in range(2):
        response = client.post("/login/", {"username": "li", "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/login/", {"username": "li", "password": "wrong"})
    assert response.status_code == 429
    assert "logging in from here is locked for one hour" in response.content.decode()
    # Even the right password is refused while locked, and nobody is logged in.
    response = client.post("/login/", {"username": "li", "password": "s3cret-pass!"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    chinese = make_client(headers={"Accept-Language": "zh-hans"}).post(
        "/login/", {"username": "li", "password": "s3cret-pass!"}
    )
    assert "登录失败次数过多" in chinese.content.decode()


def test_dashboard_months_follow_local_time(world: World) -> None:
    """An order at 00:30 on 1 November in Shanghai (16:30 UTC on 31 October)
    counts for November."""
    import datetime as dt
    from decimal import Decimal

    from guanxi.commerce.models import Order
    from guanxi.web.views import dashboard_data

    Order.objects.create(
        source="shop",
        external_id="EDGE-1",
        customer=world.own_customer,
        ordered_at=dt.datetime(2026, 10, 31, 16, 30, tzinfo=dt.UTC),
        amount=Decimal("7.00"),
    )
    now = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
    series = dashboard_data(actor=world.users["admin"], now=now)["series"]
    assert series["months"][-2:] == ["2026-10", "2026-11"]
    assert series["months"][0] == "2025-12"
    assert series["revenue"][-1] == 7.0
    assert series["revenue"][-2] == 256.0  # the world's two orders of 1 October
    assert series["orders"][-2:] == [2, 1]
    assert series["new_customers"][-2:] == [2, 0]


def test_playbook_link_only_for_administrators(client_for: Any, world: World) -> None:
    admin = client_for("admin").get("/").content.decode()
    assert '<a href="/insights/playbook/">Playbook</a>' in admin
    for role in ("operations", "service", "account_manager", "analyst"):
        assert ">Playbook</a>" not in client_for(role).get("/").content.decode()
    chinese = client_for("admin", "zh-hans").get("/").content.decode()
    assert '<a href="/insights/playbook/">行动手册</a>' in chinese
