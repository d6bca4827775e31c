"""``guanxi needs mine`` and the nightly task: counts as JSON, a bad date
refused with its message and nothing written, the same result run twice."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from guanxi.feedback.models import Ticket
from guanxi.needs.models import MiningRun, Need
from guanxi.needs.tasks import needs_mine_nightly_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(make_customer: Any) -> None:
    for words in ("物流太慢了，包装也破了", "物流慢，包装坏了", "包装很差，物流也慢"):
        customer = make_customer()
        at = customer.created_at
        Ticket.objects.create(
            customer=customer, category="complaint", channel="phone", text=words,
            source="staff", opened_at=at, first_reply_due=at, solve_due=at,
        )  # fmt: skip


def test_mine_prints_its_counts_as_json(tickets: None) -> None:
    out = StringIO()
    call_command("needs", "mine", "--json", stdout=out)
    counts = json.loads(out.getvalue())
    assert {k: counts[k] for k in ("texts", "needs", "topics")} == {
        "texts": 3,
        "needs": 2,
        "topics": 1,
    }
    assert sorted(Need.objects.values_list("term", "customers")) == [
        ("包装", 3),
        ("物流", 3),
    ]


def test_a_bad_date_is_refused_and_changes_nothing(tickets: None) -> None:
    with pytest.raises(CommandError) as error:
        call_command("needs", "mine", "--since", "2026-13-01")
    assert str(error.value) == (
        "Error: argument --since: '2026-13-01' is not a date (YYYY-MM-DD)"
    )
    assert MiningRun.objects.count() == 0 and Need.objects.count() == 0


def test_the_nightly_task_mines_and_running_twice_changes_nothing(
    tickets: None,
) -> None:
    needs_mine_nightly_task.call_local()
    first = sorted(Need.objects.values_list("term", "texts", "customers", "trend"))
    needs_mine_nightly_task.call_local()
    assert sorted(Need.objects.values_list("term", "texts", "customers", "trend")) == (
        first
    )
    assert MiningRun.objects.count() == 2
