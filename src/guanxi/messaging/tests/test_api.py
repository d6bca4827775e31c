"""The consent API: record with evidence, list the ledger, scoped."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.messaging.models import ConsentRecord
from guanxi.messaging.selectors import consent_current

pytestmark = pytest.mark.django_db
STATEMENT = {
    "purpose": "marketing",
    "channel": "email",
    "granted": True,
    "notice_version": "2026-01",
    "evidence": "store form 7",
}


def test_record_then_list(api: Any, make_customer: Any, users: dict[str, Any]) -> None:
    customer = make_customer()
    url = f"/api/v1/customers/{customer.pk}/consent/"
    made = api("service").post(url, STATEMENT, format="json")
    assert made.status_code == 201
    body = made.json()
    assert {k: body[k] for k in (*STATEMENT, "source", "recorded_by")} == {
        **STATEMENT,
        "source": "api",
        "recorded_by": users["service"].pk,
    }
    withdrawn = api("service").post(url, {**STATEMENT, "granted": False}, format="json")
    assert withdrawn.status_code == 201
    listed = api("admin").get(url).json()["results"]
    assert [r["granted"] for r in listed] == [False, True]
    assert not consent_current(
        customer_id=customer.pk, purpose="marketing", channel="email"
    )


@pytest.mark.parametrize(
    ("change", "answer"),
    [
        ({"channel": "fax"}, {"channel": ["Unknown consent channel: 'fax'."]}),
        ({"notice_version": ""}, {"notice_version": ["This field may not be blank."]}),
        ({"source": "rumour"}, {"source": ["Unknown source: 'rumour'."]}),
    ],
)
def test_bad_statements_are_refused_and_nothing_written(
    api: Any, make_customer: Any, change: dict[str, str], answer: dict[str, list[str]]
) -> None:
    customer = make_customer()
    got = api("admin").post(
        f"/api/v1/customers/{customer.pk}/consent/",
        {**STATEMENT, **change},
        format="json",
    )
    assert (got.status_code, got.json()) == (400, answer)
    assert ConsentRecord.objects.count() == 0


def test_another_managers_customer_is_not_found(
    api: Any, make_customer: Any, users: dict[str, Any]
) -> None:
    theirs = make_customer(assigned_manager=users["other_manager"])
    got = api("account_manager").post(
        f"/api/v1/customers/{theirs.pk}/consent/", STATEMENT, format="json"
    )
    assert got.status_code == 404
    assert ConsentRecord.objects.count() == 0
