"""The coupons API: definitions, issued coupons scoped like customers, and
issuing through the API (idempotent per key, exact messages)."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from guanxi.core.crypto import pseudonym
from guanxi.coupons.models import CouponDefinition, IssuedCoupon

ISSUE = "/api/v1/coupons/definitions/vip-200/issue/"


@pytest.fixture
def shop(users: dict[str, Any], make_customer: Any) -> dict[str, Any]:
    own = make_customer(assigned_manager=users["account_manager"])
    other = make_customer(assigned_manager=users["other_manager"])
    CouponDefinition.objects.create(
        slug="vip-200",
        name_zh="满1000减200",
        name_en="200 off 1,000",
        value=Decimal(200),
        minimum_spend=Decimal(1000),
        valid_days=30,
    )
    return {"own": own, "other": other}


@pytest.mark.django_db
def test_issue_is_idempotent_per_key_and_scoped(api: Any, shop: dict[str, Any]) -> None:
    own, other = shop["own"], shop["other"]
    body = {"customers": [own.pk, other.pk, 999_999], "key": "campaign-1"}
    first = api("operations").post(ISSUE, body, format="json")
    assert first.status_code == 201
    data = first.json()
    assert (data["issued"], data["already"], data["at_limit"], data["unknown"]) == (
        2,
        0,
        0,
        1,
    )
    again = api("operations").post(ISSUE, body, format="json")
    assert again.status_code == 200
    assert again.json()["codes"] == data["codes"]
    assert again.json()["already"] == 2
    assert set(IssuedCoupon.objects.values_list("source", flat=True)) == {"api"}
    # An account manager lists only their own customer's coupon.
    mine = api("account_manager").get("/api/v1/coupons/issued/").json()["results"]
    assert [(c["customer"], c["definition"]) for c in mine] == [
        (str(own.pk), "vip-200")
    ]
    # Analysts see pseudonyms.
    seen = api("analyst").get("/api/v1/coupons/issued/?source=api").json()["results"]
    assert sorted(c["customer"] for c in seen) == sorted(
        [pseudonym(own.pk), pseudonym(other.pk)]
    )
    assert (
        api("analyst").get("/api/v1/coupons/issued/?source=staff").json()["results"]
        == []
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "body", "status", "answer"),
    [
        (
            "account_manager",
            {"customers": [1]},
            403,
            {"detail": "your role may not manage coupons"},
        ),
        (
            "admin",
            {"customers": []},
            400,
            {"customers": ["Ensure this field has at least 1 elements."]},
        ),
        (
            "admin",
            {"customers": ["x"]},
            400,
            {"customers[0]": ["A valid integer is required."]},
        ),
        ("admin", [1, 2], 400, {"detail": "expected a JSON object"}),
    ],
)
def test_bad_issue_requests_change_nothing(
    api: Any, shop: dict[str, Any], role: str, body: Any, status: int, answer: Any
) -> None:
    response = api(role).post(ISSUE, body, format="json")
    assert response.status_code == status
    assert response.json() == answer
    assert IssuedCoupon.objects.count() == 0


@pytest.mark.django_db
def test_a_switched_off_or_unknown_coupon(api: Any, shop: dict[str, Any]) -> None:
    CouponDefinition.objects.update(active=False)
    response = api("admin").post(ISSUE, {"customers": [shop["own"].pk]}, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "this coupon is switched off"},
    )
    missing = api("admin").post(
        "/api/v1/coupons/definitions/nope/issue/", {"customers": [1]}, format="json"
    )
    assert missing.status_code == 404
    assert IssuedCoupon.objects.count() == 0


@pytest.mark.django_db
def test_definitions_are_listed(api: Any, shop: dict[str, Any]) -> None:
    rows = api("service").get("/api/v1/coupons/definitions/").json()["results"]
    assert [(r["slug"], r["kind"], r["value"], r["valid_days"]) for r in rows] == [
        ("vip-200", "amount", "200.00", 30)
    ]


@pytest.mark.django_db
def test_the_recommendations_command_prints_its_counts() -> None:
    out = io.StringIO()
    call_command("pairs", "compute", "--json", stdout=out)
    assert {k: v for k, v in json.loads(out.getvalue()).items() if k != "seconds"} == {
        "pairs": 0,
        "customers": 0,
    }
