"""Staff search: phone tail (手机尾号), pinyin, initials and surname of a Chinese
name, e-mail prefix — through hashed tokens, on every write path, and nothing
of the values in clear in the table."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from guanxi.customers.models import Customer
from guanxi.customers.search import PINYIN_COMBINATIONS, staff_tokens
from guanxi.customers.selectors import customer_list, customer_search
from guanxi.customers.services import CustomerBulkWriter, customer_create


@pytest.fixture
def people(users: dict[str, Any]) -> dict[str, Customer]:
    admin = users["admin"]
    made = {
        "zhang": customer_create(
            actor=admin,
            name="张三",
            phone="138 0013 8000",
            email="Zhang.San@Example.com",
        ),
        "zeng": customer_create(
            actor=admin, name="曾小单", phone="13900139001", email="xd@example.com"
        ),
        "wang": customer_create(
            actor=users["account_manager"],
            name="王芳",
            phone="13700138000",
            email="wangfang@example.com",
        ),
        "anna": customer_create(actor=admin, name="Anna Li", email="anna@example.com"),
    }
    return made


def found(actor: Any, text: str) -> set[str]:
    qs = customer_search(customer_list(actor=actor), text, actor=actor)
    return {c.name for c in qs}


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("8000", {"张三", "王芳"}),  # 手机尾号: both numbers end in 8000
        ("９００１", {"曾小单"}),  # full-width digits
        ("zhangsan", {"张三"}),
        ("Zhang San", {"张三"}),
        ("zs", {"张三"}),
        ("zhang", {"张三"}),
        # 曾 reads zeng or ceng, 单 dan, shan or chan: every reading finds her.
        ("zengxiaoshan", {"曾小单"}),
        ("cengxiaodan", {"曾小单"}),
        ("zxs", {"曾小单"}),
        ("wangfang", {"王芳"}),  # pinyin and e-mail prefix alike
        ("wangf", {"王芳"}),  # e-mail prefix only (not a syllable boundary)
        ("zhang.s", {"张三"}),
        ("zhang.san@", {"张三"}),
        ("ZHANG.SAN@EXAMPLE.COM", {"张三"}),
        ("anna", {"Anna Li"}),
        ("nna", {"Anna Li"}),  # part of a latin name (name grams)
        ("li", {"Anna Li"}),
        ("xx", set()),
        ("zh", set()),  # no prefix shorter than a syllable or 3 characters
        ("13800138000", {"张三"}),
    ],
)
def test_staff_search_finds_the_right_customers(
    users: dict[str, Any], people: dict[str, Customer], text: str, names: set[str]
) -> None:
    assert found(users["admin"], text) == names


def test_search_keeps_scope_and_analysts_find_nobody(
    users: dict[str, Any], people: dict[str, Customer]
) -> None:
    assert found(users["account_manager"], "8000") == {"王芳"}
    assert found(users["account_manager"], "zs") == set()
    assert found(users["analyst"], "8000") == set()
    assert found(users["analyst"], "zhangsan") == set()


def test_a_tail_of_four_digits_is_also_a_customer_number(
    users: dict[str, Any], people: dict[str, Customer]
) -> None:
    pk = people["anna"].pk
    assert str(pk) != "8000"
    assert found(users["admin"], str(pk)) == {"Anna Li"}


def test_tokens_follow_an_edit(
    users: dict[str, Any], people: dict[str, Customer]
) -> None:
    from guanxi.customers.services import customer_update

    customer_update(
        actor=users["admin"], customer=people["zhang"], name="李四", phone="13600136111"
    )
    assert found(users["admin"], "zhangsan") == set()
    assert found(users["admin"], "lisi") == {"李四"}
    assert found(users["admin"], "6111") == {"李四"}
    assert found(users["admin"], "8000") == {"王芳"}


def test_the_bulk_writer_writes_the_same_tokens(db: Any) -> None:
    import datetime as dt

    writer = CustomerBulkWriter()
    pks = writer.reserve(1)
    writer.insert(
        pks=pks,
        people=[
            {
                "name": "张三",
                "phone": "+8613800138000",
                "email": "zhang.san@example.com",
            }
        ],
        first_seen=[None],
        now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    stored = Customer.objects.get(pk=pks[0]).search_tokens
    assert stored == staff_tokens(
        name="张三", phone="+8613800138000", email="zhang.san@example.com"
    )
    assert stored.count(" ") > 5


def test_readings_are_bounded() -> None:
    # Eight characters with several readings each: the tokens stay bounded.
    tokens = staff_tokens(name="重重重重重重重重", phone=None, email=None).split()
    per_combination = 2 + 5  # whole, initials, prefixes of 1..5 syllables
    assert 0 < len(tokens) <= PINYIN_COMBINATIONS * per_combination


def test_nothing_in_clear_in_the_table(people: dict[str, Customer]) -> None:
    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        raw = " ".join(str(v) for row in cursor.fetchall() for v in row).lower()
    for clear in (
        "张三",
        "zhang",
        "zhangsan",
        "13800138000",
        "wangfang",
        "example.com",
        "anna",
    ):
        assert clear not in raw, clear


def test_the_migration_backfills_customers_recorded_before(
    people: dict[str, Customer],
) -> None:
    import importlib

    from django.apps import apps

    Customer.objects.update(search_tokens="")
    migration = importlib.import_module(
        "guanxi.customers.migrations.0006_backfill_staff_search_tokens"
    )

    class Editor:
        pass

    editor: Any = Editor()
    editor.connection = connection
    migration.backfill(apps, editor)
    for customer in Customer.objects.all():
        assert customer.search_tokens == staff_tokens(
            name=customer.name, phone=customer.phone, email=customer.email
        )
    assert Customer.objects.filter(search_tokens="").count() == 0
