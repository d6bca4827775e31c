"""Fixtures for the privacy tests: a customer with a marker in every personal
field and records in every app, the ``guanxi`` commands, English messages."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from tests.pages import _clean_cache, client_for, world

__all__ = ["_clean_cache", "canary", "client_for", "english", "run_command", "world"]

#: A marker in every personal field; none may remain after an erasure.
CANARIES = {
    "name": "金丝雀Canaryname",
    "phone": "+8613912345678",
    "phone_digits": "13912345678",
    "email": "canary.person@example.org",
    "address": "金丝雀路Canaryaddr 7号",
    "birthday": "2001-02-03",
    "note": "Canarynote 投诉内容",
    "script": "Canaryscript 您好",
}
WHEN = dt.datetime(2026, 10, 1, 10, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LANGUAGE", "en")
    with translation.override("en"):
        yield


@dataclass
class Canary:
    customer: Any
    orders: list[Any]


def make_canary() -> Canary:
    from tests.outbox import consent_set

    from guanxi.care.models import CareTask, ChurnWarning
    from guanxi.commerce.models import Order, OrderLine, Product
    from guanxi.customers.choices import InteractionKind
    from guanxi.customers.models import Customer, CustomerIdentity, Interaction, Tag
    from guanxi.customers.services import customer_apply_contact
    from guanxi.insights.models import ScoreSnapshot
    from guanxi.messaging.models import CallTask, Message, MessageEvent

    customer = Customer(
        name=CANARIES["name"],
        phone=CANARIES["phone"],
        email=CANARIES["email"],
        address=CANARIES["address"],
        birthday=dt.date.fromisoformat(CANARIES["birthday"]),  # type: ignore[misc]
        city="杭州",
        gender="female",
        first_seen_at=WHEN,
        purchase_total=Decimal("300.50"),
        purchase_count=2,
        first_purchase_at=WHEN,
        last_purchase_at=WHEN + dt.timedelta(days=3),
    )
    customer_apply_contact(customer)
    customer.save()
    tag, _ = Tag.objects.get_or_create(name="金丝雀标签")
    customer.tags.add(tag)
    Tag.objects.filter(pk=tag.pk).update(customer_count=1)
    CustomerIdentity.objects.create(customer=customer, source="pos", external_id="C-9")
    product, _ = Product.objects.get_or_create(
        sku="TEA-CANARY", defaults={"name": "龙井", "category": "green tea"}
    )
    orders = []
    for i, amount in enumerate((Decimal("128.00"), Decimal("172.50"))):
        order = Order.objects.create(
            source="pos",
            external_id=f"CANARY-{i}",
            customer=customer,
            ordered_at=WHEN + dt.timedelta(days=3 * i),
            amount=amount,
            store="西湖店",
        )
        OrderLine.objects.create(
            order=order, product=product, quantity=1, unit_price=amount, amount=amount
        )
        orders.append(order)
    Interaction.objects.create(
        customer=customer,
        kind=InteractionKind.COMPLAINT,
        occurred_at=WHEN,
        note=CANARIES["note"],
    )
    consent_set(customer)
    message = Message.objects.create(
        cause="test",
        customer=customer,
        channel="phone",
        purpose="marketing",
        idempotency_key="canary-1",
    )
    MessageEvent.objects.create(message=message, kind="delivered", occurred_at=WHEN)
    CallTask.objects.create(
        message=message, customer=customer, script=CANARIES["script"]
    )
    ScoreSnapshot.objects.create(customer=customer, as_of=WHEN.date(), orders=2)
    warning = ChurnWarning.objects.create(
        customer=customer, opened_as_of=WHEN.date(), as_of=WHEN.date()
    )
    CareTask.objects.create(warning=warning, customer=customer, due_on=WHEN.date())
    return Canary(customer=customer, orders=orders)


@pytest.fixture
def canary(db: Any) -> Canary:
    return make_canary()


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def run_command(db: Any) -> Callable[..., Run]:
    """A ``guanxi`` command as the console runs it: exit code, stdout, stderr."""

    def run(*args: Any) -> Run:
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(*[str(a) for a in args], stdout=out, stderr=err)
        except CommandError as exc:
            return Run(code=exc.returncode, stdout=out.getvalue(), stderr=str(exc))
        return Run(code=0, stdout=out.getvalue(), stderr=err.getvalue())

    return run
