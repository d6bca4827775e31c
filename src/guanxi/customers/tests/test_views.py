"""Customer list and detail: scope, masking, pseudonyms, search, paging, htmx."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from tests.access import World

from guanxi.commerce.models import Order
from guanxi.core.crypto import pseudonym
from guanxi.customers.choices import InteractionKind
from guanxi.customers.models import Customer, Interaction, Tag
from guanxi.customers.services import customer_apply_contact

LIST = reverse("customers:customer-list")

OWN_SECRETS = ("王芳", "13800138000", "wang.fang@example.com")
FOREIGN_SECRETS = ("李雷", "13900139000", "li.lei@example.com")


def detail(customer: Any) -> str:
    return reverse("customers:customer-detail", args=[customer.pk])


def names_in(html: str) -> list[str]:
    return re.findall(r'<td><a href="/customers/\d+/">([^<]*)</a></td>', html)


def test_admin_list_shows_every_customer_in_full(client_for: Any, world: World) -> None:
    html = client_for("admin").get(LIST).content.decode()
    assert names_in(html) == ["李雷", "王芳"]
    assert "+8613800138000" in html
    assert "wang.fang@example.com" in html
    assert "2 results" in html


def test_account_manager_lists_only_own_customers(
    client_for: Any, world: World
) -> None:
    html = client_for("account_manager").get(LIST).content.decode()
    assert names_in(html) == ["王芳"]
    assert "1 result<" in html
    for secret in FOREIGN_SECRETS:
        assert secret not in html


def test_account_manager_gets_404_for_a_foreign_customer(
    client_for: Any, world: World
) -> None:
    client = client_for("account_manager")
    assert client.get(detail(world.foreign_customer)).status_code == 404
    assert client.get(detail(world.own_customer)).status_code == 200


def test_account_manager_search_never_finds_a_foreign_customer(
    client_for: Any, world: World
) -> None:
    html = client_for("account_manager").get(LIST, {"q": "13900139000"}).content
    assert "No customers found." in html.decode()
    assert "0 results" in html.decode()


def test_operations_see_masked_contact_fields_on_list_and_detail(
    client_for: Any, world: World
) -> None:
    client = client_for("operations")
    for url in (LIST, detail(world.own_customer)):
        html = client.get(url).content.decode()
        assert "138****8000" in html
        assert "w***@example.com" in html
        assert "13800138000" not in html
        assert "wang.fang@" not in html
        assert "王芳" in html


def test_operations_read_notes_with_contact_values_masked(
    client_for: Any, world: World
) -> None:
    # A note quoting a phone or an e-mail showed them in full to operations
    # on the timeline (found by the canary scan).
    interaction = world.own_interaction
    interaction.note = "王芳说：打 13800138000 或写 wang.fang@example.com"
    interaction.save()
    html = client_for("operations").get(detail(world.own_customer)).content.decode()
    assert "王芳说：打 [phone] 或写 [email]" in html
    assert "13800138000" not in html
    assert "wang.fang@" not in html
    html = client_for("admin").get(detail(world.own_customer)).content.decode()
    assert "王芳说：打 13800138000 或写 wang.fang@example.com" in html


def test_service_sees_full_contact_fields_on_detail(
    client_for: Any, world: World
) -> None:
    html = client_for("service").get(detail(world.own_customer)).content.decode()
    assert "+8613800138000" in html
    assert "wang.fang@example.com" in html


def test_analyst_sees_pseudonyms_and_no_name_or_contact(
    client_for: Any, world: World
) -> None:
    client = client_for("analyst")
    html = client.get(LIST).content.decode()
    assert pseudonym(world.own_customer.pk) in html
    assert pseudonym(world.foreign_customer.pk) in html
    for secret in OWN_SECRETS + FOREIGN_SECRETS + ("138****8000", "w***@"):
        assert secret not in html
    assert f"/customers/{world.own_customer.pk}/" not in html
    assert client.get(detail(world.own_customer)).status_code == 404


def test_analyst_cannot_search_by_name(client_for: Any, world: World) -> None:
    html = client_for("analyst").get(LIST, {"q": "王芳"}).content.decode()
    assert "0 results" in html


def test_user_without_role_sees_no_customers(client_for: Any, world: World) -> None:
    client = client_for("no_role")
    html = client.get(LIST).content.decode()
    assert "0 results" in html
    assert "王芳" not in html
    assert client.get(detail(world.own_customer)).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "13800138000",
        "138 0013 8000",
        "+86 138-0013-8000",
        "0086 13800138000",
        "(+86) 138 0013 8000",
        "１３８００１３８０００",
    ],
)
def test_search_by_phone_in_any_format(
    client_for: Any, world: World, query: str
) -> None:
    html = client_for("admin").get(LIST, {"q": query}).content.decode()
    assert names_in(html) == ["王芳"]


def test_search_by_email_ignores_case(client_for: Any, world: World) -> None:
    html = client_for("admin").get(LIST, {"q": "Wang.Fang@Example.COM"}).content
    assert names_in(html.decode()) == ["王芳"]


def test_search_by_name(client_for: Any, world: World) -> None:
    html = client_for("service").get(LIST, {"q": "李雷"}).content.decode()
    assert names_in(html) == ["李雷"]


def test_filters_city_tag_gender(client_for: Any, world: World, db: Any) -> None:
    world.foreign_customer.city = "上海"
    world.foreign_customer.gender = "male"
    world.foreign_customer.save()
    world.foreign_customer.tags.set([Tag.objects.create(name="新客")])
    client = client_for("admin")
    assert names_in(client.get(LIST, {"city": "上海"}).content.decode()) == ["李雷"]
    assert names_in(client.get(LIST, {"tag": "VIP"}).content.decode()) == ["王芳"]
    assert names_in(client.get(LIST, {"gender": "male"}).content.decode()) == ["李雷"]
    # A value no form offers is answered with the error page, not a list that
    # silently ignores it.
    bogus = client.get(LIST, {"gender": "bogus"})
    assert bogus.status_code == 400
    assert "Gender: Select a valid choice." in bogus.content.decode()


def test_htmx_request_gets_only_the_rows(client_for: Any, world: World) -> None:
    response = client_for("admin").get(
        LIST, {"q": "王芳"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "<table" in html
    assert names_in(html) == ["王芳"]


def _many_customers(n: int, manager: Any) -> list[Customer]:
    made = []
    for i in range(n):
        c = Customer(name=f"Customer {i:03d}", phone=f"+861370000{i:04d}", city="苏州")
        c.assigned_manager = manager
        customer_apply_contact(c)
        made.append(c)
    return Customer.objects.bulk_create(made)


def test_keyset_pages_forward_and_back(client_for: Any, world: World) -> None:
    _many_customers(118, world.users["account_manager"])
    client = client_for("account_manager")
    first = client.get(LIST).content.decode()
    assert "119 results" in first
    assert len(names_in(first)) == 50
    assert 'rel="prev"' not in first
    after = re.search(r'href="/customers/\?after=([\w-]+)"', first)
    assert after is not None
    second = client.get(LIST, {"after": after.group(1)}).content.decode()
    assert len(names_in(second)) == 50
    assert not set(names_in(first)) & set(names_in(second))
    after = re.search(r'href="/customers/\?after=([\w-]+)"', second)
    assert after is not None
    third = client.get(LIST, {"after": after.group(1)}).content.decode()
    assert len(names_in(third)) == 19
    assert names_in(third)[-1] == "王芳"
    assert 'rel="next"' not in third
    before = re.search(r'href="/customers/\?before=([\w-]+)"', third)
    assert before is not None
    back = client.get(LIST, {"before": before.group(1)}).content.decode()
    assert names_in(back) == names_in(second)


@pytest.mark.parametrize("cursor", ["%%%not-a-cursor", "WzI5MDVd"])
def test_a_damaged_or_forged_cursor_is_refused_with_a_message(
    client_for: Any, world: World, cursor: str
) -> None:
    """``WzI5MDVd`` is ``[2905]`` in base64: a cursor as they were, made by
    hand. A cursor now is sealed; one that is not ours is a 400 that says so."""
    response = client_for("admin").get(LIST, {"after": cursor})
    assert response.status_code == 400
    html = response.content.decode()
    assert names_in(html) == []
    assert "not a valid page link: open the list again from its first page" in html
    response = client_for("admin", "zh-hans").get(LIST, {"before": cursor})
    assert response.status_code == 400
    assert "分页链接无效：请从第一页重新打开列表" in response.content.decode()


def test_list_query_count_does_not_grow_with_rows(
    client_for: Any, world: World, django_assert_max_num_queries: Any
) -> None:
    _many_customers(60, None)
    client = client_for("admin")
    # (+ the account managers to filter by and the user's saved views)
    with django_assert_max_num_queries(10):
        response = client.get(LIST)
    assert len(names_in(response.content.decode())) == 50


def _events(customer: Customer, n: int) -> None:
    base = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
    for i in range(n):
        when = base + dt.timedelta(days=i)
        if i % 2:
            Order.objects.create(
                source="shop",
                external_id=f"T-{i:03d}",
                customer=customer,
                ordered_at=when,
                amount=Decimal("10.00") + i,
            )
        else:
            Interaction.objects.create(
                customer=customer,
                kind=InteractionKind.CALL,
                occurred_at=when,
                note=f"call {i:03d}",
            )


def test_detail_timeline_merges_orders_and_interactions_newest_first(
    client_for: Any, world: World
) -> None:
    html = client_for("account_manager").get(detail(world.own_customer)).content
    text = html.decode()
    order_at = text.index("A-1001")
    visit_at = text.index("Store visit", text.index('id="timeline"'))
    assert order_at < visit_at  # the order (Oct 1) is newer than the visit (Sep 30)
    assert "2026-10-01 18:30" in text  # shown in Asia/Shanghai
    assert "CNY 128.00" in text
    assert '<span class="tagname">VIP</span>' in text


def test_detail_timeline_pages_with_htmx(
    client_for: Any, world: World, django_assert_max_num_queries: Any
) -> None:
    customer = world.foreign_customer
    _events(customer, 43)  # plus the world's order and visit: 45 events
    client = client_for("admin")
    # 12, and since issue 14 the recorded changes and the managers to assign,
    # since the outbox the customer's messages and their events, since coupons
    # the customer's coupons (card and timeline) and the suggested products,
    # since journeys their enrolments and steps
    with django_assert_max_num_queries(21):
        page1 = client.get(detail(customer)).content.decode()
    assert page1.count('<span class="when">') == 20
    # The world's order (October) is the newest event, then the calls and orders.
    assert page1.index("B-2001") < page1.index("call 042")
    assert "Show older" in page1
    page3 = client.get(
        detail(customer), {"page": 3}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in page3
    assert page3.count('<span class="when">') == 5
    assert "Show older" not in page3
    assert page3.rstrip().endswith("</li>")
    assert page3.index("T-001") < page3.index("call 000")  # oldest last


def test_detail_of_missing_customer_is_404(client_for: Any, world: World) -> None:
    response = client_for("admin").get("/customers/999999/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_damaged_ciphertext_is_a_clear_error_not_a_traceback(
    client_for: Any, world: World
) -> None:
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE customers_customer SET phone = %s WHERE id = %s",
            ["v1:nokey:AAAA", world.own_customer.pk],
        )
    response = client_for("admin").get(detail(world.own_customer))
    assert response.status_code == 500
    html = response.content.decode()
    assert (
        "customers.Customer.phone: encryption key &#x27;nokey&#x27; is not configured"
        in html
    )
    assert "Traceback" not in html


def test_htmx_history_restore_gets_the_whole_page(
    client_for: Any, world: World
) -> None:
    response = client_for("admin").get(
        LIST,
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"].split(", ")


def test_templates_never_read_personal_fields_directly() -> None:
    """Names and contact fields reach templates only through customer_card."""
    from pathlib import Path

    import guanxi

    root = Path(guanxi.__file__).parent
    templates = sorted(root.glob("*/templates/**/*.html"))
    assert len(templates) > 10  # every app's templates, not an empty glob
    pattern = re.compile(r"customer\.(name|phone|email|address|birthday)\b")
    offenders = [
        str(path.relative_to(root))
        for path in templates
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_operations_see_birth_year_not_birthday(client_for: Any, world: World) -> None:
    world.own_customer.birthday = dt.date(1990, 5, 17)
    customer_apply_contact(world.own_customer)
    world.own_customer.save()
    masked = client_for("operations").get(detail(world.own_customer)).content.decode()
    assert "<dt>Birth year</dt><dd>1990</dd>" in masked
    assert "1990-05-17" not in masked
    full = client_for("service").get(detail(world.own_customer)).content.decode()
    assert "<dt>Birthday</dt><dd>1990-05-17</dd>" in full
