"""The journeys API: journeys read by those who see journeys, created,
changed and switched by admins with the validator's exact refusals (nothing
changed), enrolments scoped and paged, the report's figures."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.journeys.models import Enrolment, Journey, JourneyVersion
from guanxi.journeys.selectors import enrolment_list
from guanxi.journeys.tests.test_report import CHECKIN, _group

pytestmark = pytest.mark.django_db

BODY = {
    "slug": "hello",
    "name_zh": "问候",
    "name_en": "Hello",
    "holdout_percent": 20,
    "entry_rule": "once",
    "definition": CHECKIN,
}


def test_admins_create_and_read_a_journey(api: Any, template: Any) -> None:
    created = api("admin").post("/api/v1/journeys/", BODY, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["slug"], body["state"], body["version"]) == ("hello", "off", 1)
    assert body["holdout_percent"] == 20
    assert body["definition"]["steps"][1] == {
        "id": "checkin",
        "type": "send_message",
        "template": "checkin",
        "next": "",
    }
    listed = api("operations").get("/api/v1/journeys/").json()
    assert [j["slug"] for j in listed["results"]] == ["hello"]
    assert "next" in listed
    one = api("operations").get("/api/v1/journeys/hello/").json()
    assert one["name_zh"] == "问候"


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        (
            {"definition": {**CHECKIN, "steps": [{"id": "w1", "type": "wait"}]}},
            {
                "definition": [
                    'Step "w1": a wait needs a duration (days, hours or minutes; '
                    "at most a year)."
                ]
            },
        ),
        (
            {
                "definition": {
                    **CHECKIN,
                    "steps": [{"id": "c1", "type": "condition", "field": "shoe_size"}],
                }
            },
            {"definition": ['Step "c1": unknown field "shoe_size".']},
        ),
        (
            {
                "definition": {
                    **CHECKIN,
                    "steps": [
                        {"id": "a", "type": "add_tag", "tag": "x", "next": "b"},
                        {"id": "b", "type": "add_tag", "tag": "y", "next": "a"},
                    ],
                }
            },
            {"definition": ['Step "a": the steps loop back to it.']},
        ),
        (
            {"slug": "Not A Slug"},
            {
                "slug": [
                    "A slug is 1 to 64 lower-case letters, digits and -, starting "
                    "with a letter or digit."
                ]
            },
        ),
        (
            {"holdout_percent": 60},
            {"holdout_percent": ["Ensure this value is less than or equal to 50."]},
        ),
        (
            {"definition": "nope"},
            {"definition": ["A definition has a trigger and steps."]},
        ),
    ],
)
def test_a_bad_journey_is_refused_with_the_exact_message(
    api: Any, template: Any, change: dict[str, Any], errors: dict[str, Any]
) -> None:
    response = api("admin").post("/api/v1/journeys/", {**BODY, **change}, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not Journey.objects.exists()


def test_a_second_journey_with_the_slug_is_refused(api: Any, template: Any) -> None:
    assert (
        api("admin").post("/api/v1/journeys/", BODY, format="json").status_code == 201
    )
    again = api("admin").post(
        "/api/v1/journeys/", {**BODY, "name_en": "Other"}, format="json"
    )
    assert again.status_code == 400
    assert again.json() == {"slug": ["A journey with this slug exists already."]}
    assert list(Journey.objects.values_list("name_en", flat=True)) == ["Hello"]


def test_changing_a_journey_writes_a_version_and_bad_input_changes_nothing(
    api: Any, template: Any
) -> None:
    admin = api("admin")
    admin.post("/api/v1/journeys/", BODY, format="json")
    update = {k: v for k, v in BODY.items() if k != "slug"}
    longer = {
        "trigger": {"type": "event", "event": "first_purchase"},
        "steps": [
            {"id": "wait", "type": "wait", "duration": {"hours": 48}, "next": "hi"},
            {"id": "hi", "type": "send_message", "template": "checkin"},
        ],
    }
    changed = admin.put(
        "/api/v1/journeys/hello/", {**update, "definition": longer}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["version"] == 2
    bad = admin.put(
        "/api/v1/journeys/hello/",
        {**update, "name_en": "Changed", "definition": {"trigger": {"type": "x"}}},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "definition": ["Trigger: choose an event, a date or a schedule."]
    }
    journey = Journey.objects.get()
    assert journey.name_en == "Hello"
    assert JourneyVersion.objects.filter(journey=journey).count() == 2
    missing = admin.put("/api/v1/journeys/nobody/", update, format="json")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No journey has the slug nobody."}


def test_only_admins_write_and_switch(api: Any, template: Any) -> None:
    refused = api("operations").post("/api/v1/journeys/", BODY, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "only admins build journeys"}
    assert not Journey.objects.exists()
    api("admin").post("/api/v1/journeys/", BODY, format="json")
    off = api("operations").post("/api/v1/journeys/hello/enable/")
    assert off.status_code == 403
    assert off.json() == {"detail": "only admins switch journeys on and off"}
    assert Journey.objects.get().state == "off"
    on = api("admin").post("/api/v1/journeys/hello/enable/")
    assert (on.status_code, on.json()["state"]) == (200, "on")
    assert api("admin").post("/api/v1/journeys/hello/disable/").json()["state"] == "off"
    seen = api("account_manager").get("/api/v1/journeys/")
    assert seen.status_code == 403
    assert seen.json() == {"detail": "your role may not see journeys"}


def test_enrolments_are_scoped_filtered_and_paged(
    api: Any,
    users: dict[str, Any],
    make_customer: Any,
    template: Any,
    make_journey: Any,
) -> None:
    journey = make_journey(CHECKIN, on=False)
    _group(users, make_customer, journey, n=3, buyers=1, holdout=False)
    own = Enrolment.objects.order_by("pk").first()
    assert own is not None
    own.customer.assigned_manager = users["account_manager"]
    own.customer.save(update_fields=["assigned_manager"])
    rows = api("operations").get("/api/v1/enrolments/?journey=test").json()
    assert len(rows["results"]) == 3
    assert set(rows) >= {"next", "previous", "results"}
    one = api("operations").get(f"/api/v1/enrolments/?customer={own.customer_id}")
    assert [r["customer"] for r in one.json()["results"]] == [str(own.customer_id)]
    assert one.json()["results"][0]["version"] == 1
    bad = api("operations").get("/api/v1/enrolments/?customer=x")
    assert (bad.status_code, bad.json()) == (
        400,
        {"customer": ["customer: a customer number."]},
    )
    unknown = api("operations").get("/api/v1/enrolments/?journey=nobody")
    assert unknown.status_code == 404
    # The scope is the customers': an account manager's are theirs alone.
    assert list(enrolment_list(actor=users["account_manager"])) == [own]
    assert list(enrolment_list(actor=users["other_manager"])) == []


def test_the_report_answers_the_figures(
    api: Any,
    users: dict[str, Any],
    make_customer: Any,
    template: Any,
    make_journey: Any,
) -> None:
    journey = make_journey(CHECKIN, on=False)
    _group(users, make_customer, journey, n=40, buyers=12, holdout=False)
    _group(users, make_customer, journey, n=30, buyers=3, holdout=True)
    found = api("operations").get(
        "/api/v1/journeys/test/report/?start=2026-11-01&end=2026-11-30&days=30"
    )
    assert found.status_code == 200
    body = found.json()
    assert (body["entered"], body["converted"], body["revenue"]) == (70, 15, "1500.00")
    assert body["treated"]["n"] == 40 and body["holdout"]["n"] == 30
    assert body["conversion_lift"]["verdict"] == "higher"
    assert body["conversion_lift"]["low"] == pytest.approx(0.021977, abs=1e-6)
    assert body["revenue_lift"]["high"] == pytest.approx(38.3894, abs=1e-4)
    assert [s["id"] for s in body["steps"]] == ["wait", "checkin"]
    bad = api("operations").get("/api/v1/journeys/test/report/?days=0")
    assert bad.status_code == 400
    assert bad.json() == {"days": ["Converted within: a number of days from 1 to 365."]}
