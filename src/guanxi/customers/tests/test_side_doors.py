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


# Exact searches by phone or e-mail: a masked phone is one of 10,000 numbers.

SEARCH_LIMIT = (
    "too many searches by phone number or e-mail address: wait a minute and try again"
)
SEARCH_LIMIT_ZH = "按电话号码或电子邮箱搜索的次数过多：请等一分钟后再试"


def _guesses(n: int) -> list[str]:
    return [f"+86138{i:04d}8000" for i in range(n)]


def test_exact_phone_searches_in_the_web_list_are_limited(
    client_for: Any, world: Any, settings: Any
) -> None:
    settings.GUANXI_CONTACT_SEARCHES_PER_MINUTE = 3
    client = client_for("operations")
    for guess in _guesses(3):
        assert client.get(LIST, {"q": guess}).status_code == 200
    refused = client.get(LIST, {"q": "+8613800138000"})
    assert refused.status_code == 429
    html = refused.content.decode()
    assert SEARCH_LIMIT in html
    # Refused, so the right guess found nobody: no masked row, no count of one.
    assert "138****8000" not in html
    chinese = client_for("operations", "zh-hans").get(LIST, {"email": "a@example.com"})
    assert chinese.status_code == 429
    assert SEARCH_LIMIT_ZH in chinese.content.decode()
    # Other searches (names, cities) and other people are not counted.
    assert client.get(LIST, {"q": "王"}).status_code == 200
    assert client.get(LIST, {"city": "杭州"}).status_code == 200
    other = client_for("service")
    assert other.get(LIST, {"q": "+8613800138000"}).status_code == 200


def test_htmx_list_shows_the_limit_in_its_fragment(
    client_for: Any, world: Any, settings: Any
) -> None:
    settings.GUANXI_CONTACT_SEARCHES_PER_MINUTE = 1
    client = client_for("operations")
    client.get(LIST, {"q": "wang.fang@example.com"})
    response = client.get(
        LIST, {"q": "wang.fang@example.com"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200  # htmx swaps 2xx only
    assert SEARCH_LIMIT in response.content.decode()


def test_exact_contact_searches_in_the_api_are_limited(
    api: Any, make_customer: Any, settings: Any
) -> None:
    make_customer(phone="+8613800138000", email="wang.fang@example.com")
    settings.GUANXI_CONTACT_SEARCHES_PER_MINUTE = 2
    client = api("operations")
    for guess in _guesses(2):
        assert client.get(API, {"phone": guess}).status_code == 200
    refused = client.get(API, {"phone": "+8613800138000"})
    assert (refused.status_code, refused.json()) == (429, {"detail": SEARCH_LIMIT})
    refused = client.get(API, {"email": "wang.fang@example.com"})
    assert (refused.status_code, refused.json()) == (429, {"detail": SEARCH_LIMIT})
    assert client.get(API, {"city": "杭州"}).status_code == 200


# Uniqueness answers: an account manager must not learn that another
# manager's customer has a phone, an e-mail address or an order number.

HELD = "This contact cannot be saved; an administrator has been asked to resolve it."
HELD_ZH = "无法保存此联系方式，已请管理员处理。"
ORDER_HELD = (
    "This order number cannot be saved; an administrator has been asked to resolve it."
)
TOO_MANY_HELD = (
    "too many contact values or order numbers could not be saved: wait an hour "
    "and try again"
)
TOO_MANY_HELD_ZH = "无法保存的联系方式或订单号过多：请一小时后再试"


@pytest.fixture
def two_managers(users: Any, make_customer: Any) -> dict[str, Customer]:
    return {
        "own": make_customer(
            name="王芳",
            phone="+8613800138000",
            email="wang.fang@example.com",
            assigned_manager=users["account_manager"],
        ),
        "foreign": make_customer(
            name="李雷",
            phone="+8613900139000",
            email="li.lei@example.com",
            assigned_manager=users["other_manager"],
        ),
    }


def test_a_foreign_customers_contact_gets_the_neutral_answer(
    api: Any, users: Any, two_managers: dict[str, Customer], caplog: Any
) -> None:
    before = Customer.objects.count()
    client = api("account_manager")
    for field, value in (("phone", "13900139000"), ("email", "LI.LEI@example.com")):
        response = client.post(API, {"name": "新客", field: value}, format="json")
        assert (response.status_code, response.json()) == (400, {field: [HELD]})
    assert Customer.objects.count() == before
    # Editing one's own customer into the other's phone: the same answer.
    own = two_managers["own"]
    response = client.patch(f"{API}{own.pk}/", {"phone": "13900139000"}, format="json")
    assert (response.status_code, response.json()) == (400, {"phone": [HELD]})
    own.refresh_from_db()
    assert own.phone == "+8613800138000"
    # Logged for an administrator: who, what kind, which record; no value.
    lines = [r.getMessage() for r in caplog.records if r.name == "guanxi.audit"]
    foreign = two_managers["foreign"].pk
    assert lines[0] == (
        f"scope conflict: user #{users['account_manager'].pk} "
        f"wrote a phone that customer #{foreign} outside their scope holds"
    )
    assert len(lines) == 3
    for line in lines:
        assert "13900139000" not in line and "li.lei" not in line.lower()


def test_own_and_visible_customers_keep_the_helpful_answer(
    api: Any, two_managers: dict[str, Customer]
) -> None:
    mine = api("account_manager").post(
        API, {"name": "新客", "phone": "13800138000"}, format="json"
    )
    assert mine.json() == {"phone": ["another customer has this phone number"]}
    for role in ("admin", "service"):
        response = api(role).post(
            API, {"name": "新客", "email": "li.lei@example.com"}, format="json"
        )
        assert response.json() == {"email": ["another customer has this email address"]}


def test_the_web_form_answers_neutrally_in_both_languages(
    client_for: Any, world: Any
) -> None:
    url = reverse("customers:customer-create")
    for language, message in (("en", HELD), ("zh-hans", HELD_ZH)):
        response = client_for("account_manager", language).post(
            url, {"name": "新客", "email": "li.lei@example.com"}
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert message in html
        assert "already" not in html and "李雷" not in html


def test_neutral_answers_are_limited_then_every_contact_write_waits(
    api: Any, two_managers: dict[str, Customer], settings: Any
) -> None:
    settings.GUANXI_CONFLICTS_PER_HOUR = 2
    client = api("account_manager")
    for phone in ("13900139000", "13900139000"):
        response = client.post(API, {"name": "新客", "phone": phone}, format="json")
        assert response.json() == {"phone": [HELD]}
    # Past the limit a phone nobody has is refused too: whether a write goes
    # through would otherwise tell which numbers exist.
    before = Customer.objects.count()
    for value in ("13700137000", "13900139000"):
        response = client.post(API, {"name": "新客", "phone": value}, format="json")
        assert (response.status_code, response.json()) == (
            429,
            {"detail": TOO_MANY_HELD},
        )
    chinese = client.post(
        API,
        {"name": "新客", "phone": "13700137000"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert chinese.json() == {"detail": TOO_MANY_HELD_ZH}
    assert Customer.objects.count() == before
    # A write without a contact value still goes through; other users too.
    assert client.post(API, {"name": "只有名字"}, format="json").status_code == 201
    other = api("other_manager").post(
        API, {"name": "新客", "phone": "13700137000"}, format="json"
    )
    assert other.status_code == 201


def _order(customer: Customer, number: str) -> dict[str, Any]:
    return {
        "source": "pos",
        "external_id": number,
        "customer": customer.pk,
        "ordered_at": "2026-10-01 10:00",
        "amount": "10.00",
    }


def test_a_foreign_order_number_is_answered_neutrally_and_limited(
    api: Any, two_managers: dict[str, Customer], settings: Any
) -> None:
    settings.GUANXI_CONFLICTS_PER_HOUR = 1
    orders = "/api/v1/orders/"
    assert (
        api("other_manager")
        .post(orders, _order(two_managers["foreign"], "B-1"), format="json")
        .status_code
        == 201
    )
    client = api("account_manager")
    held = client.post(orders, _order(two_managers["own"], "B-1"), format="json")
    assert (held.status_code, held.json()) == (400, {"external_id": [ORDER_HELD]})
    fresh = client.post(orders, _order(two_managers["own"], "B-2"), format="json")
    assert (fresh.status_code, fresh.json()) == (429, {"detail": TOO_MANY_HELD})


def test_a_neutral_answer_is_an_audit_event_that_outlives_the_refusal(
    api: Any, users: Any, two_managers: dict[str, Customer]
) -> None:
    """The refused write is rolled back; its audit event is not."""
    from guanxi.audit.models import AuditEvent

    client = api("account_manager")
    client.post(API, {"name": "新客", "phone": "13900139000"}, format="json")
    own = two_managers["own"]
    client.patch(f"{API}{own.pk}/", {"email": "li.lei@example.com"}, format="json")
    client.post(
        "/api/v1/orders/", _order(own, "B-9"), format="json"
    )  # nobody holds B-9: no event
    api("other_manager").post(
        "/api/v1/orders/", _order(two_managers["foreign"], "B-7"), format="json"
    )
    client.post("/api/v1/orders/", _order(own, "B-7"), format="json")
    events = list(
        AuditEvent.objects.filter(action="scope.conflict")
        .order_by("id")
        .values_list("actor_id", "object_type", "details")
    )
    foreign = two_managers["foreign"]
    order = foreign.orders.get(external_id="B-7")
    manager = users["account_manager"].pk
    assert [(a, t, d["kind"]) for a, t, d in events] == [
        (manager, "customer", "phone"),
        (manager, "customer", "email"),
        (manager, "order", "order_id"),
    ]
    assert set(
        AuditEvent.objects.filter(action="scope.conflict").values_list(
            "object_id", flat=True
        )
    ) == {str(foreign.pk), str(order.pk)}
    text = str(list(AuditEvent.objects.values()))
    assert "13900139000" not in text and "li.lei" not in text
