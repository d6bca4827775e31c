"""The automatic tags' writer gives, row for row, what its first version's
statements gave (delete the automatic links not wanted, insert the wanted
ones missing, one ``NOT EXISTS`` each), on generated data with manual links,
automatic links to keep and to drop, duplicate pairs and customers left out;
on SQLite and PostgreSQL alike, over several runs in a row."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.db import connection, transaction

from guanxi.customers.models import Customer, CustomerTag, Tag
from guanxi.customers.services import (
    AutomaticTagChange,
    AutomaticTagSpec,
    AutomaticTagWriter,
    customer_tags_bulk_add,
    tags_automatic_ensure,
)

SPECS = [
    AutomaticTagSpec(key=f"test:{n}", name=f"自动{n}", name_en=f"auto {n}")
    for n in range(7)
]
FIRST = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)


def _rows() -> list[tuple[Any, ...]]:
    return sorted(
        CustomerTag.objects.values_list(
            "customer_id", "tag_id", "source", "added_by_id", "added_at"
        )
    )


def _counts() -> list[tuple[int, int]]:
    return sorted(Tag.objects.values_list("pk", "customer_count"))


def _first_version(
    pairs: list[tuple[int, int]], left_out: set[int], now: dt.datetime
) -> AutomaticTagChange:
    """The statements :meth:`AutomaticTagWriter.finish` ran before it was
    made fast on PostgreSQL (its temporary table with a primary key on both
    databases), and its recount of every tag."""
    wanted = sorted({p for p in pairs if p[0] not in left_out})
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE first_wanted (customer_id BIGINT NOT NULL, "
            "tag_id BIGINT NOT NULL, PRIMARY KEY (customer_id, tag_id))"
        )
        cursor.executemany("INSERT INTO first_wanted VALUES (%s, %s)", wanted)
        cursor.execute(
            "DELETE FROM customers_customertag WHERE tag_id IN ("
            "SELECT id FROM customers_tag WHERE kind = 'automatic') AND NOT EXISTS ("
            "SELECT 1 FROM first_wanted w WHERE w.customer_id = "
            "customers_customertag.customer_id AND w.tag_id = "
            "customers_customertag.tag_id)"
        )
        removed = cursor.rowcount
        cursor.execute(
            "INSERT INTO customers_customertag (customer_id, tag_id, source, "
            "added_by_id, added_at) SELECT w.customer_id, w.tag_id, 'automatic', "
            "NULL, %s FROM first_wanted w WHERE NOT EXISTS (SELECT 1 FROM "
            "customers_customertag l WHERE l.customer_id = w.customer_id AND "
            "l.tag_id = w.tag_id)",
            [stamp],
        )
        added = cursor.rowcount
        cursor.execute("DROP TABLE first_wanted")
        cursor.execute(
            "UPDATE customers_tag SET customer_count = (SELECT COUNT(*) FROM "
            "customers_customertag l WHERE l.tag_id = customers_tag.id)"
        )
    return AutomaticTagChange(wanted=len(wanted), added=added, removed=removed)


def _ours(
    pairs: list[tuple[int, int]], left_out: set[int], now: dt.datetime
) -> AutomaticTagChange:
    writer = AutomaticTagWriter(now=now)
    half = len(pairs) // 2
    # Two ways in: SQL selecting pairs, and pairs computed outside.
    by_id = {tag: key for key, tag in tags_automatic_ensure(specs=SPECS).items()}
    writer.add_key_pairs([(c, by_id[t]) for c, t in pairs[:half]])
    rest = pairs[half:]
    for start in range(0, len(rest), 200):
        chunk = rest[start : start + 200]
        writer.add(
            " UNION ALL ".join(["SELECT %s, %s"] * len(chunk)),
            [v for pair in chunk for v in pair],
        )
    writer.leave_out(left_out)
    return writer.finish()


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2])
def test_the_writer_gives_what_the_first_version_gave(seed: int) -> None:
    pick = random.Random(seed)
    Customer.objects.bulk_create(
        [Customer(name_tokens="", search_tokens="") for _ in range(400)]
    )
    ids = list(Customer.objects.values_list("pk", flat=True))
    tags = list(tags_automatic_ensure(specs=SPECS).values())
    # Manual links, and automatic ones from an earlier run (some still wanted).
    customer_tags_bulk_add(
        links=[(c, f"手动{pick.randrange(3)}") for c in pick.sample(ids, 150)]
    )
    CustomerTag.objects.bulk_create(
        [
            CustomerTag(customer_id=c, tag_id=t, source="automatic", added_at=FIRST)
            for c in ids
            for t in tags
            if pick.random() < 0.3
        ]
    )
    for day in range(3):
        now = FIRST + dt.timedelta(days=day + 1)
        # Each customer's wanted tags, some given twice, in no order.
        pairs = [(c, t) for c in ids for t in tags if pick.random() < 0.35]
        pairs += pick.sample(pairs, len(pairs) // 10)
        pick.shuffle(pairs)
        left_out = set(pick.sample(ids, 20))
        with transaction.atomic():
            expected = _first_version(pairs, left_out, now)
            expected_rows, expected_counts = _rows(), _counts()
            transaction.set_rollback(True)
        assert expected.added and (day == 0 or expected.removed)
        with transaction.atomic():
            change = _ours(pairs, left_out, now)
        assert change == expected
        assert _rows() == expected_rows
        assert _counts() == expected_counts
