"""The demo writes only values that the one validation (guanxi.core.values) accepts.

The demo has its own fast writer; this checks its output against the same rules
the API and the import apply, so a demo database never holds a value that the
pages, the API or an export would have to survive.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from guanxi.commerce.models import Order, OrderLine
from guanxi.core.values import (
    check_amount,
    check_birthday,
    check_moment,
    clean_line,
    line_total,
    parse_quantity,
)
from guanxi.customers.models import Customer


@pytest.mark.django_db
def test_demo_data_is_in_range(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    call_command(
        "demo",
        "--customers",
        "300",
        "--seed",
        "5",
        "--no-progress",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    orders = list(Order.objects.all())
    assert len(orders) > 300
    for order in orders:
        assert check_amount(order.amount) == order.amount
        assert check_moment(order.ordered_at) == order.ordered_at
        for field in ("store", "channel", "source", "external_id"):
            value = getattr(order, field)
            assert clean_line(value, field=field) == value
    lines = list(OrderLine.objects.all())
    assert lines
    for line in lines:
        assert parse_quantity(line.quantity) == line.quantity
        assert check_amount(line.unit_price) == line.unit_price
        assert line_total(line.quantity, line.unit_price) == line.amount
        assert line.amount <= Decimal("9999999999.99")
    for customer in Customer.objects.all():
        if customer.birthday is not None:
            assert check_birthday(customer.birthday) == customer.birthday
        for field in ("name", "address", "city"):
            value = getattr(customer, field) or ""
            assert clean_line(value, field=field) == value
