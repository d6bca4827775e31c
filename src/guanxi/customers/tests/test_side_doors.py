"""Side doors found by a probe of the running app, each shut: pseudonyms that
could be linked to customer numbers (list order, readable cursors)."""

from __future__ import annotations

import base64
import importlib
import re
from typing import Any

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from guanxi.core.crypto import pseudonym
from guanxi.customers.models import Customer
from guanxi.customers.services import CustomerBulkWriter
from guanxi.exports.services import export_records

LIST = reverse("customers:customer-list")
API = "/api/v1/customers/"
PSEUDONYM = re.compile(r"p_[0-9a-f]{16}")

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(make_customer: Any) -> list[Customer]:
    """Sixty customers (a page and a bit of the web list and of the API's)."""
    return [make_customer(name=f"顾客{i}", city="杭州") for i in range(60)]


def _in_order(found: list[str]) -> list[str]:
    seen: list[str] = []
    for p in found:
        if p not in seen:
            seen.append(p)
    return seen


def test_analyst_web_list_is_ordered_by_pseudonym(
    many: list[Customer], client_for: Any, world: Any
) -> None:
    """In the order of the numbers, the tenth pseudonym of the list is the
    tenth newest customer: the list is ordered by pseudonym instead."""
    client = client_for("analyst")
    first = client.get(LIST).content.decode()
    after = re.search(r'href="/customers/\?after=([\w-]+)"', first)
    assert after is not None
    second = client.get(LIST, {"after": after.group(1)}).content.decode()
    shown = _in_order(PSEUDONYM.findall(first)) + _in_order(PSEUDONYM.findall(second))
    everyone = sorted(pseudonym(c.pk) for c in Customer.objects.all())
    assert shown == everyone
    newest_first = [pseudonym(pk) for pk in sorted((c.pk for c in many), reverse=True)]
    assert shown[:50] != newest_first[:50]


def test_analyst_sorted_by_spend_breaks_ties_by_pseudonym(
    many: list[Customer], client_for: Any, world: Any
) -> None:
    html = client_for("analyst").get(LIST, {"sort": "-spend"}).content.decode()
    shown = _in_order(PSEUDONYM.findall(html))
    # Every customer here has the same spend (nothing recorded): one tie,
    # broken by pseudonym (the sort's direction, highest first).
    assert Customer.objects.values("purchase_total").distinct().count() == 1
    assert (
        shown
        == sorted((pseudonym(c.pk) for c in Customer.objects.all()), reverse=True)[:50]
    )


def test_other_roles_still_list_newest_first(
    many: list[Customer], client_for: Any, world: Any
) -> None:
    html = client_for("admin").get(LIST).content.decode()
    numbers = [int(n) for n in re.findall(r'href="/customers/(\d+)/"', html)]
    assert numbers == sorted(numbers, reverse=True)[: len(numbers)]
    assert numbers[0] == Customer.objects.order_by("-pk").first().pk  # type: ignore[union-attr]


def _pages(client: Any, url: str) -> tuple[list[str], list[str]]:
    ids: list[str] = []
    cursors: list[str] = []
    while url:
        body = client.get(url).json()
        ids += [str(row["id"]) for row in body["results"]]
        url = body["next"] or ""
        if url:
            cursors.append(re.search(r"cursor=([^&]+)", url).group(1))  # type: ignore[union-attr]
    return ids, cursors


def test_analyst_api_list_is_ordered_by_pseudonym_with_sealed_cursors(
    many: list[Customer], api: Any
) -> None:
    ids, cursors = _pages(api("analyst"), API)
    assert ids == sorted(pseudonym(c.pk) for c in Customer.objects.all())
    assert len(cursors) == 1
    # A DRF cursor was base64 of "p=<customer number>".
    raw = base64.urlsafe_b64decode(cursors[0] + "=" * (-len(cursors[0]) % 4))
    assert b"p=" not in raw
    assert ids[49].encode() not in raw


def test_admin_api_list_is_newest_first(many: list[Customer], api: Any) -> None:
    ids, _ = _pages(api("admin"), API)
    assert ids == [str(pk) for pk in sorted((c.pk for c in many), reverse=True)]


@pytest.mark.parametrize(
    "cursor",
    [
        "cD0yOTA1",  # p=2905: a cursor as DRF makes them, by hand
        "garbage",
        "",
    ],
)
def test_a_forged_api_cursor_is_a_400(
    many: list[Customer], api: Any, cursor: str
) -> None:
    for role in ("admin", "analyst"):
        response = api(role).get(API, {"cursor": cursor})
        assert response.status_code == 400
        assert response.json() == {"cursor": ["not a valid cursor"]}


def test_an_api_cursor_of_one_role_does_not_open_for_the_other_order(
    many: list[Customer], api: Any
) -> None:
    _, cursors = _pages(api("admin"), API)
    response = api("analyst").get(API, {"cursor": cursors[0]})
    assert response.status_code == 400


def test_analyst_export_is_ordered_by_pseudonym(
    many: list[Customer], users: Any
) -> None:
    rows = list(export_records(kind="customers", actor=users["analyst"]))
    assert [r["id"] for r in rows] == sorted(pseudonym(c.pk) for c in many)


def test_every_way_in_stores_the_pseudonym(make_customer: Any) -> None:
    one = make_customer(name="单个")
    writer = CustomerBulkWriter()
    pks = writer.reserve(2)
    writer.insert(
        pks=pks,
        people=[{"name": "批量一"}, {"name": "批量二"}],
        first_seen=[None, None],
        now=timezone.now(),
    )
    stored = dict(Customer.objects.values_list("pk", "pseudonym"))
    assert stored == {pk: pseudonym(pk) for pk in [one.pk, *pks]}


def test_the_migration_fills_every_pseudonym(make_customer: Any) -> None:
    made = [make_customer(name=f"旧{i}") for i in range(5)]
    Customer.objects.update(pseudonym=None)
    migration = importlib.import_module(
        "guanxi.customers.migrations.0011_customer_pseudonym"
    )
    migration.backfill(apps, None)
    stored = dict(Customer.objects.values_list("pk", "pseudonym"))
    assert stored == {c.pk: pseudonym(c.pk) for c in made}
