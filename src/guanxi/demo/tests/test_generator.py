"""The demo generator: valid, consistent, deterministic, buy-till-you-die shaped."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.db import connection, transaction
from django.db.models import Sum

from guanxi.commerce.bulk import order_purchases_refresh
from guanxi.commerce.models import Order, OrderLine
from guanxi.commerce.signals import purchases_written
from guanxi.core.normalize import normalize_email, normalize_phone
from guanxi.customers.models import Customer, CustomerIdentity, Interaction
from guanxi.customers.search import email_key, name_tokens, phone_key
from guanxi.demo.generator import demo_fill
from guanxi.demo.simulation import WINDOW_DAYS, Chunk, DemoParams

END = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def snapshot() -> dict[str, Any]:
    """Everything generated, in plain text, with ids replaced by ranks."""
    customers = list(Customer.objects.order_by("id"))
    rank = {c.pk: i for i, c in enumerate(customers)}
    return {
        "customers": [
            (
                c.name,
                c.phone,
                c.email,
                c.address,
                c.birthday,
                c.gender,
                c.city,
                c.preferred_channel,
                c.first_seen_at,
                sorted(c.tags.values_list("name", flat=True)),
            )
            for c in customers
        ],
        "orders": [
            (rank[o.customer_id], o.ordered_at, o.amount, o.store, o.channel, o.status)
            for o in Order.objects.order_by("id")
        ],
        "lines": list(
            OrderLine.objects.order_by("id").values_list(
                "product__sku", "quantity", "unit_price", "amount"
            )
        ),
        "interactions": [
            (rank[i.customer_id], i.kind, i.occurred_at, i.channel, i.note)
            for i in Interaction.objects.order_by("id")
        ],
    }


@pytest.mark.django_db
def test_same_seed_same_data_other_seed_other_data() -> None:
    first = demo_fill(customers=40, seed=5, end=END, progress=False, chunk_size=15)
    before = snapshot()
    Customer.objects.all().delete()
    again = demo_fill(customers=40, seed=5, end=END, progress=False, chunk_size=15)
    assert snapshot() == before
    assert (again.orders, again.order_lines, again.interactions) == (
        first.orders,
        first.order_lines,
        first.interactions,
    )
    Customer.objects.all().delete()
    demo_fill(customers=40, seed=6, end=END, progress=False, chunk_size=15)
    other = snapshot()
    assert other["customers"] != before["customers"]
    assert other["orders"] != before["orders"]


@pytest.mark.django_db
def test_generated_rows_are_valid_and_consistent() -> None:
    result = demo_fill(customers=150, seed=1, end=END, progress=False, chunk_size=64)
    customers = list(Customer.objects.all())
    assert len(customers) == result.customers == 150
    assert Order.objects.count() == result.orders > 150
    assert OrderLine.objects.count() == result.order_lines > result.orders
    assert Interaction.objects.count() == result.interactions > 0
    phones = [c.phone for c in customers]
    assert len(set(phones)) == 150
    for c in customers:
        assert normalize_phone(c.phone) == c.phone and c.phone.startswith("+861")
        assert c.phone_index == phone_key(c.phone)
        assert c.name_tokens == name_tokens(c.name)
        if c.email:
            assert normalize_email(c.email) == c.email
            assert c.email_index == email_key(c.email)
            assert c.email.rsplit("@")[1] in {
                "example.com",
                "example.net",
                "example.org",
            }
        else:
            assert c.email_index is None
        assert c.birth_year == (c.birthday.year if c.birthday else None)
        assert c.city and c.first_seen_at is not None
        assert CustomerIdentity.objects.filter(customer=c, source="demo").count() == 1
    emails = [c.email for c in customers if c.email]
    assert len(set(emails)) == len(emails) > 40
    # Encrypted at rest: the raw columns hold ciphertext only.
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, phone, email FROM customers_customer")
        for row in cursor.fetchall():
            assert all(v is None or v.startswith("v1:") for v in row)
    # Each order's amount is the sum of its lines; all within the two years.
    sums = dict(
        OrderLine.objects.values_list("order")
        .annotate(s=Sum("amount"))
        .values_list("order", "s")
    )
    start = END - dt.timedelta(days=WINDOW_DAYS)
    for order in Order.objects.all():
        assert order.amount == sums[order.pk] > Decimal(0)
        assert start <= order.ordered_at <= END
        assert order.source == "demo" and order.currency == "CNY"
        assert order.external_id == f"D{order.pk:010d}"
    statuses = Counter(Order.objects.values_list("status", flat=True))
    assert statuses["paid"] > 0.8 * result.orders and statuses["refunded"] > 0
    kinds = Counter(Interaction.objects.values_list("kind", flat=True))
    assert set(kinds) >= {"visit", "message_opened", "review", "complaint"}
    assert (
        Interaction.objects.filter(kind="complaint", note__isnull=False).count()
        == (kinds["complaint"])
    )
    # Prospects: a few customers never bought.
    assert Customer.objects.filter(orders__isnull=True).exists()


@pytest.mark.django_db
def test_a_second_run_adds_without_clashing() -> None:
    demo_fill(customers=20, seed=3, end=END, progress=False)
    demo_fill(customers=20, seed=3, end=END, progress=False)
    assert Customer.objects.count() == 40
    assert Customer.objects.values("phone_index").distinct().count() == 40
    # Ids continue after the explicit ones (sequences were moved on).
    extra = Customer.objects.create(name="后来者")
    assert extra.pk == 41


def test_purchases_follow_a_buy_till_you_die_process() -> None:
    rng = np.random.default_rng(11)
    chunk = Chunk(
        rng=rng, first_id=1, n=20_000, seed=0, params=DemoParams(), managers=[]
    )
    join, cust, day = chunk.purchases()
    counts = np.bincount(cust, minlength=20_000)
    assert 7 < counts.mean() < 13  # about ten orders a customer
    assert counts.var() > 5 * counts.mean()  # gamma-mixed rates: over-dispersed
    assert 0.03 < (counts == 0).mean() < 0.08  # prospects
    assert np.all(np.diff(day)[np.diff(cust) == 0] >= 0)  # time runs forward
    assert day.min() >= 0 and day.max() < WINDOW_DAYS
    last = np.full(20_000, -1.0)
    np.maximum.at(last, cust, day)
    old = (join < WINDOW_DAYS - 365) & (counts > 1)
    silent = (WINDOW_DAYS - last[old]) > 180
    assert 0.2 < silent.mean() < 0.8  # many stopped buying without a word


def _demo_phone(customer_id: int) -> str:
    """The phone number the demo gives the customer with this id."""
    chunk = Chunk(
        rng=np.random.default_rng(0),
        first_id=customer_id,
        n=1,
        seed=0,
        params=DemoParams(),
        managers=[],
    )
    return str(chunk.people(END.date())[0]["phone"])


def _tables() -> dict[str, int]:
    from guanxi.commerce.models import Product
    from guanxi.customers.models import Tag

    return {
        model.__name__: model.objects.count()
        for model in (Customer, CustomerIdentity, Order, OrderLine, Interaction)
    } | {"Product": Product.objects.count(), "Tag": Tag.objects.count()}


@pytest.mark.django_db
def test_a_demo_sharing_a_phone_with_a_recorded_customer_is_refused(
    make_customer: Any,
) -> None:
    from guanxi.demo.generator import DemoRefused

    recorded = make_customer(name="张伟", phone="+8613800138000")
    # The demo's customers get ids above the recorded one's.
    make_customer(name="李娜", phone=_demo_phone(recorded.pk + 2))
    before = _tables()
    with pytest.raises(DemoRefused) as caught:
        demo_fill(customers=20, seed=4, end=END, progress=False)
    assert caught.value.message == (
        "1 customers recorded before have a phone number or email address that "
        "demo customers would get; nothing was written. Run the demo with an "
        "empty database (another GUANXI_DATA_DIR). 已有客户使用了演示客户将获得的"
        "手机号或邮箱；未写入任何数据。请在空数据库中运行演示。"
    )
    assert _tables() == before


@pytest.mark.django_db
def test_a_demo_the_database_refuses_says_so_and_writes_nothing(
    make_customer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guanxi.demo import generator

    recorded = make_customer(name="张伟", phone="+8613800138000")
    make_customer(name="李娜", phone=_demo_phone(recorded.pk + 2))
    before = _tables()
    # A writer that records the number after the demo's look.
    monkeypatch.setattr(generator._Run, "_refuse_shared_contacts", lambda *a: None)
    with pytest.raises(generator.DemoRefused) as caught:
        demo_fill(customers=20, seed=4, end=END, progress=False)
    assert caught.value.message == (
        "Another customer with a demo phone number or email address was recorded "
        "while the demo ran; nothing was written. "
        "演示运行期间有其他客户使用了演示手机号或邮箱；未写入任何数据。"
    )
    assert _tables() == before


def test_demo_phone_numbers_do_not_depend_on_the_seed() -> None:
    phones = set()
    for seed in (0, 1, 99):
        chunk = Chunk(
            rng=np.random.default_rng(seed),
            first_id=1,
            n=500,
            seed=seed,
            params=DemoParams(),
            managers=[],
        )
        phones.add(tuple(p["phone"] for p in chunk.people(END.date())))
    assert len(phones) == 1 and len(set(next(iter(phones)))) == 500


@pytest.mark.django_db(transaction=True)
def test_the_demo_history_announces_no_purchases() -> None:
    """Journeys, warnings and survey invitations react to
    ``purchases_written``; the demo's made-up orders must not reach them (with
    e-mail set up, recent demo orders would otherwise invite made-up customers
    to an NPS survey). A real write of the same customers still announces."""
    heard: list[Any] = []

    def listen(sender: Any, *, customer_ids: Any, **kwargs: Any) -> None:
        heard.append(customer_ids)

    purchases_written.connect(listen, dispatch_uid="test.demo-listen")
    try:
        demo_fill(customers=30, seed=2, end=dt.datetime.now(dt.UTC), progress=False)
        assert heard == []
        ids = list(Customer.objects.values_list("pk", flat=True)[:3])
        with transaction.atomic():
            order_purchases_refresh(customer_ids=ids)
        assert heard == [set(ids)]
    finally:
        purchases_written.disconnect(dispatch_uid="test.demo-listen")
