"""Who is a minor, read from the birth year and month's index: the same
customers as deciding each birthday one by one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.customers.models import Customer
from guanxi.privacy.selectors import MINOR_AGE, is_minor, minors_unprofiled

TODAY = dt.date(2026, 6, 15)
LIMIT = TODAY.year - MINOR_AGE


@pytest.mark.django_db
def test_minors_are_those_each_birthday_says(make_customer: Any) -> None:
    days = [
        # Born after the limit's year, before it, and in it: each month side
        # of this one, this month each side of today, and the day itself.
        dt.date(LIMIT + 1, 1, 1),
        dt.date(LIMIT + 3, 12, 31),
        dt.date(LIMIT - 1, 12, 31),
        dt.date(1980, 6, 20),
        dt.date(LIMIT, 5, 31),
        dt.date(LIMIT, 7, 1),
        dt.date(LIMIT, 6, 14),
        dt.date(LIMIT, 6, 15),
        dt.date(LIMIT, 6, 16),
    ]
    customers = [make_customer(birthday=day) for day in days]
    make_customer()  # no birthday: not known to be a minor
    # Rows whose year or month was not kept beside the birthday: decided by
    # the birthday itself.
    legacy_minor, legacy_adult, month_missing = (
        make_customer(birthday=dt.date(LIMIT + 2, 3, 3)),
        make_customer(birthday=dt.date(LIMIT - 5, 3, 3)),
        make_customer(birthday=dt.date(LIMIT, 6, 16)),
    )
    Customer.objects.filter(pk__in=[legacy_minor.pk, legacy_adult.pk]).update(
        birth_year=None, birth_month=None
    )
    Customer.objects.filter(pk=month_missing.pk).update(birth_month=None)
    expected = {
        c.pk for c in Customer.objects.all() if is_minor(c.birthday, today=TODAY)
    }

    found = minors_unprofiled(today=TODAY)

    assert found == expected
    assert found == {
        customers[0].pk,
        customers[1].pk,
        customers[5].pk,
        customers[8].pk,
        legacy_minor.pk,
        month_missing.pk,
    }


@pytest.mark.django_db
def test_sqlite_reads_the_minors_from_the_index_not_the_table(
    make_customer: Any,
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the query plan checked is SQLite's")
    make_customer(birthday=dt.date(LIMIT, 6, 15))
    with CaptureQueriesContext(connection) as captured:
        minors_unprofiled(today=TODAY)
    reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and '"birth_year"' in q["sql"]
    ]
    assert len(reads) == 2, reads
    for sql in reads:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert "USING INDEX customer_birth_year_idx" in plan, plan
