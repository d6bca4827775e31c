"""The migration that gave tags a kind and the links a table of their own keeps
every existing link (as imported) and fills birth_month from the birthdays."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from guanxi.customers.models import Customer, CustomerTag, Tag

BEFORE = ("customers", "0003_one_customer_per_phone_and_email")


@pytest.mark.django_db(transaction=True)
def test_existing_links_are_kept_and_birth_months_filled() -> None:
    call_command("migrate", *BEFORE, verbosity=0)
    try:
        old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        OldCustomer = old.get_model("customers", "Customer")
        OldTag = old.get_model("customers", "Tag")
        made = []
        for birthday in (dt.date(1990, 6, 15), None, dt.date(1985, 12, 31)):
            made.append(
                OldCustomer.objects.create(
                    birthday=birthday,
                    birth_year=birthday.year if birthday else None,
                )
            )
        vip, fan = OldTag.objects.create(name="VIP"), OldTag.objects.create(name="粉丝")
        made[0].tags.add(vip, fan)
        made[2].tags.add(vip)
        call_command("migrate", "customers", verbosity=0)
        links: list[tuple[Any, ...]] = sorted(
            CustomerTag.objects.values_list(
                "customer_id", "tag__name", "source", "added_by_id"
            )
        )
        assert links == sorted(
            [
                (made[0].pk, "VIP", "import", None),
                (made[0].pk, "粉丝", "import", None),
                (made[2].pk, "VIP", "import", None),
            ]
        )
        assert dict(Tag.objects.values_list("name", "customer_count")) == {
            "VIP": 2,
            "粉丝": 1,
        }
        assert set(Tag.objects.values_list("kind", flat=True)) == {"manual"}
        months = dict(Customer.objects.values_list("pk", "birth_month"))
        assert months == {made[0].pk: 6, made[1].pk: None, made[2].pk: 12}
    finally:
        call_command("migrate", verbosity=0)
