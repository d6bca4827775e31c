"""One customer per phone number and per email address, held by the database.

The services and the matcher look first; the unique indexes
(``customer_phone_unique``, ``customer_email_unique``) catch what a look cannot:
a second writer between the look and the write, a path that forgot to look.
Each way in then says so clearly, writes nothing, and shows no traceback.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from guanxi.customers import services
from guanxi.customers.models import Customer
from guanxi.customers.services import (
    ContactTaken,
    contact_owners,
    customer_apply_contact,
    customer_create,
)


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def _customer(**values: Any) -> Customer:
    customer = Customer(**values)
    customer_apply_contact(customer)
    return customer


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"phone": "+8613800138000"}, {"phone": "+8613800138000", "name": "李娜"}),
        ({"email": "zw@example.com"}, {"email": "zw@example.com", "name": "李娜"}),
    ],
)
def test_the_database_refuses_a_second_customer(
    db: Any, first: dict[str, str], second: dict[str, str]
) -> None:
    _customer(name="张伟", **first).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _customer(**second).save()
    assert Customer.objects.count() == 1


def test_customers_without_phone_or_email_are_many(db: Any) -> None:
    for name in ("张伟", "李娜", "王芳"):
        _customer(name=name).save()
    assert Customer.objects.filter(phone_index__isnull=True).count() == 3


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"name": "李娜", "phone": "138 0013 8000"},
            "phone",
            "another customer has this phone number",
        ),
        (
            {"name": "李娜", "email": "ZW@example.com"},
            "email",
            "another customer has this email address",
        ),
    ],
)
def test_a_writer_that_gets_there_first_gives_the_same_clear_error(
    users: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    values: dict[str, Any],
    field: str,
    message: str,
) -> None:
    recorded = _customer(name="张伟", phone="+8613800138000", email="zw@example.com")
    recorded.save()
    # Between the service's look and its write another writer recorded the
    # number: the look finds nothing, the database refuses the write.
    monkeypatch.setattr(services, "contact_owners", lambda **kwargs: {})
    with pytest.raises(ContactTaken) as caught:
        customer_create(actor=users["admin"], **values)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert list(Customer.objects.values_list("pk", flat=True)) == [recorded.pk]


def test_contact_owners_names_the_customers(db: Any) -> None:
    a = _customer(name="张伟", phone="+8613800138000")
    a.save()
    b = _customer(name="李娜", email="ln@example.com")
    b.save()
    assert contact_owners(phone="+8613800138000", email="ln@example.com") == {
        "phone": a.pk,
        "email": b.pk,
    }
    assert contact_owners(phone="+8613800138000", email=None, exclude_pk=a.pk) == {}


@pytest.mark.django_db(transaction=True)
def test_the_migration_refuses_a_database_with_shared_numbers() -> None:
    """A database from before the unique indexes that holds two customers with
    one phone number: the migration stops with the customer ids to correct."""
    call_command("migrate", "customers", "0002", verbosity=0)
    try:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for phone_index, email_index in (
                ("p-shared", None),
                ("p-shared", "e-1"),
                ("p-other", "e-shared"),
                (None, "e-shared"),
                ("p-alone", None),
            ):
                cursor.execute(
                    f"INSERT INTO {quote('customers_customer')} "
                    "(name_tokens, phone_index, email_index, gender, city, "
                    "preferred_channel, created_at, updated_at) "
                    "VALUES ('', %s, %s, '', '', '', %s, %s)",
                    [phone_index, email_index, "2024-01-01", "2024-01-01"],
                )
        ids = sorted(Customer.objects.values_list("pk", flat=True))
        with pytest.raises(CommandError) as caught:
            call_command("migrate", "customers", verbosity=0)
        assert str(caught.value) == (
            "1 phone numbers and 1 email addresses belong to more than one "
            f"customer (customer ids {ids[0]}, {ids[1]}, {ids[2]}, {ids[3]}). "
            "Guanxi now keeps one customer per phone number and per email "
            "address: correct or delete these customers, then run the migration "
            "again. Nothing was changed."
        )
        assert Customer.objects.count() == 5
        # Raw, as the rows were written: going back to customers 0002 also
        # took back the apps that depend on it (insights), and later
        # migrations add columns and tables an ORM delete would read.
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {quote('customers_customer')} WHERE id IN (%s, %s, %s)",
                ids[1:4],
            )
    finally:
        # Every app: insights' migrations were unapplied with customers'.
        call_command("migrate", verbosity=0)
    assert Customer.objects.count() == 2
