"""Customer personal fields are encrypted at rest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from guanxi.customers.models import Customer


@pytest.mark.django_db
def test_customer_table_holds_no_plaintext(make_customer) -> None:  # type: ignore[no-untyped-def]
    customer = make_customer(
        name="李娜",
        phone="+8613912345678",
        email="li.na@example.com",
        address="上海市徐汇区漕溪北路88号",
        birthday=dt.date(1990, 5, 17),
    )
    with connection.cursor() as cur:
        cur.execute(
            "SELECT name, phone, email, address, birthday, name_tokens, phone_index "
            "FROM customers_customer WHERE id = %s",
            [customer.pk],
        )
        row = cur.fetchone()
    raw = " ".join(str(v) for v in row)
    for plain in (
        "李娜",
        "13912345678",
        "li.na@example.com",
        "漕溪北路",
        "1990-05-17",
        "1990",
    ):
        assert plain not in raw
    assert all(str(v).startswith("v1:") for v in row[:5])
    loaded = Customer.objects.get(pk=customer.pk)
    assert (loaded.name, loaded.phone, loaded.birthday) == (
        "李娜",
        "+8613912345678",
        dt.date(1990, 5, 17),
    )
    assert loaded.birth_year == 1990
