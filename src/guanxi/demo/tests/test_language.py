"""A demo in the business's language: Chinese names, addresses and what
customers say for a Chinese demo, the same in English for an English one; the
same seed gives the same phone numbers and purchases in both."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.management import call_command

from guanxi.customers.models import Customer, Interaction
from guanxi.demo.generator import demo_fill

pytestmark = pytest.mark.django_db(transaction=True)

END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
HAN = re.compile(r"[\u4e00-\u9fff]")


def _people() -> list[tuple[str, str, str, str]]:
    return [
        (c.name or "", c.address or "", c.city, c.phone or "")
        for c in Customer.objects.order_by("pk")
    ]


def _said() -> list[str]:
    return list(
        Interaction.objects.exclude(note__isnull=True)
        .order_by("pk")
        .values_list("note", flat=True)
    )


def test_a_chinese_demo_speaks_chinese_and_an_english_one_english() -> None:
    demo_fill(customers=300, seed=2, end=END, progress=False, language="zh-hans")
    chinese = _people()
    chinese_said = _said()
    assert chinese and chinese_said
    assert all(HAN.search(name) for name, *_ in chinese)
    assert all(HAN.search(address) for _n, address, *_ in chinese if address)
    assert all(HAN.search(city) for _n, _a, city, _p in chinese)
    assert all(HAN.search(text) for text in chinese_said)

    Interaction.objects.all().delete()
    Customer.objects.all().delete()
    demo_fill(customers=300, seed=2, end=END, progress=False, language="en")
    english = _people()
    english_said = _said()
    assert not any(HAN.search(" ".join(person)) for person in english)
    assert not any(HAN.search(text) for text in english_said)
    assert [p[3] for p in english] == [p[3] for p in chinese]  # same phones
    assert len(english_said) == len(chinese_said)
    assert any(a.startswith("Room ") and "District, " in a for _n, a, *_ in english)


def test_the_command_takes_the_business_language_unless_told(
    settings: Any, tmp_path: Any
) -> None:
    settings.DATA_DIR = tmp_path  # where the demo logins are written
    call_command("demo", customers=30, no_progress=True, stdout=io.StringIO())
    assert all(HAN.search(c.name or "") for c in Customer.objects.all())
    Interaction.objects.all().delete()
    Customer.objects.all().delete()
    call_command(
        "demo",
        customers=30,
        no_progress=True,
        locale="en",
        stdout=io.StringIO(),
    )
    assert not any(HAN.search(c.name or "") for c in Customer.objects.all())
