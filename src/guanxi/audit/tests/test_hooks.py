"""What the apps record in the audit log, and that no event holds a personal
value of the customer it is about (a canary customer's values are searched for
in every event)."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from guanxi.access.choices import Role
from guanxi.access.models import StaffProfile
from guanxi.access.services import (
    staff_member_add,
    staff_member_deactivate,
    staff_member_reactivate,
    staff_member_update,
)
from guanxi.audit.models import AuditEvent
from guanxi.customers.bulk_actions import bulk_action_confirm, bulk_action_prepare
from guanxi.customers.bulk_runs import bulk_action_run
from guanxi.customers.services import customer_assign
from guanxi.exports.services import export_run
from guanxi.insights.services import insight_settings_save
from guanxi.messaging.services import consent_record
from guanxi.tags.services import tag_rules_update

pytestmark = pytest.mark.django_db

CANARY = {
    "name": "金丝雀测试",
    "phone": "+8613912345678",
    "email": "canary.bird@example.net",
    "birthday": dt.date(1987, 6, 5),
    "city": "金丝雀城",
    "address": "金丝雀路99号",
}
CANARY_TEXTS = (
    "金丝雀",
    "13912345678",
    "canary.bird",
    "1987-06-05",
    "金丝雀路",
)


@pytest.fixture
def canary(make_customer: Any, users: dict[str, Any]) -> Any:
    return make_customer(**CANARY, assigned_manager=users["account_manager"])


def _client(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _events(**filters: Any) -> list[tuple[Any, ...]]:
    return list(
        AuditEvent.objects.filter(**filters)
        .order_by("id")
        .values_list("action", "actor_label", "role", "customer_id", "details")
    )


@pytest.mark.parametrize("role", ["admin", "service", "account_manager"])
def test_viewing_a_customer_unmasked_is_one_event(
    role: str, users: dict[str, Any], canary: Any
) -> None:
    client = _client(users[role])
    assert client.get(f"/customers/{canary.pk}/").status_code == 200
    # "Show older" of the timeline shows no personal field: no event.
    older = client.get(f"/customers/{canary.pk}/?page=2", HTTP_HX_REQUEST="true")
    assert older.status_code == 200
    assert _events() == [("customer.viewed", role, role, canary.pk, {"via": "web"})]


@pytest.mark.parametrize(("role", "status"), [("operations", 200), ("analyst", 404)])
def test_masked_and_pseudonymous_views_leave_no_event(
    role: str, status: int, users: dict[str, Any], canary: Any
) -> None:
    assert _client(users[role]).get(f"/customers/{canary.pk}/").status_code == status
    assert _events() == []


def test_another_managers_customer_is_not_found_and_not_recorded(
    users: dict[str, Any], canary: Any
) -> None:
    client = _client(users["other_manager"])
    assert client.get(f"/customers/{canary.pk}/").status_code == 404
    assert _events() == []


def test_the_api_detail_is_one_event_the_list_none(
    api: Any, canary: Any, users: dict[str, Any]
) -> None:
    client = api("service")
    assert client.get(f"/api/v1/customers/{canary.pk}/").status_code == 200
    assert client.get("/api/v1/customers/").status_code == 200
    assert _events() == [
        ("customer.viewed", "service", "service", canary.pk, {"via": "api"})
    ]
    assert api("operations").get(f"/api/v1/customers/{canary.pk}/").status_code == 200
    assert len(_events()) == 1


def test_an_export_is_one_event_with_rows_role_format_and_filter_names(
    users: dict[str, Any], canary: Any, make_customer: Any
) -> None:
    make_customer(assigned_manager=users["other_manager"])
    out = io.StringIO()
    record = export_run(
        kind="customers",
        fmt="csv",
        actor=users["account_manager"],
        out=out,
        destination="-",
    )
    assert record.rows == 1
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_label, event.role, event.object_type) == (
        "export",
        "account_manager",
        "account_manager",
        "export",
    )
    assert event.object_id == str(record.pk)
    assert event.details == {
        "kind": "customers",
        "format": "csv",
        "rows": 1,
        "status": "done",
        "role_applied": "account_manager",
        "filters": [],
        "for_people": False,
    }


def test_a_browser_export_names_its_filters_not_their_values(
    users: dict[str, Any],
    canary: Any,
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = _client(users["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/exports/new/",
            {
                "kind": "customers",
                "format": "csv",
                "query": "q=13912345678&city=金丝雀城",
            },
        )
    assert answer.status_code == 302
    event = AuditEvent.objects.get(action="export")
    assert event.details["filters"] == ["city", "q"]
    assert (event.details["rows"], event.details["role_applied"]) == (1, "admin")


def test_role_and_team_changes_are_recorded(users: dict[str, Any]) -> None:
    admin = users["admin"]
    with translation.override("en"):
        added = staff_member_add(actor=admin, username="newcomer", role="analyst")
        staff_member_update(
            actor=admin, user=added, role="service", first_name="", email=""
        )
        # The same role again is not a change of role.
        staff_member_update(
            actor=admin, user=added, role="service", first_name="X", email=""
        )
        staff_member_deactivate(actor=admin, user=added)
        staff_member_reactivate(actor=admin, user=added)
    rows = list(
        AuditEvent.objects.order_by("id").values_list(
            "action", "actor_label", "object_type", "object_id", "details"
        )
    )
    pk = str(added.pk)
    assert rows == [
        ("staff.added", "admin", "user", pk,
         {"from_role": "", "to_role": "analyst", "via": "web"}),
        ("staff.role", "admin", "user", pk,
         {"from_role": "analyst", "to_role": "service", "via": "web"}),
        ("staff.deactivated", "admin", "user", pk,
         {"from_role": "", "to_role": "", "via": "web"}),
        ("staff.reactivated", "admin", "user", pk,
         {"from_role": "", "to_role": "", "via": "web"}),
    ]  # fmt: skip


def test_a_role_changed_in_the_django_admin_is_recorded(
    users: dict[str, Any],
) -> None:
    boss = get_user_model().objects.create_superuser("boss", password="x-pass-123")
    profile = StaffProfile.objects.get(user=users["analyst"])
    client = _client(boss)
    answer = client.post(
        f"/admin/access/staffprofile/{profile.pk}/change/",
        {"user": users["analyst"].pk, "role": "service", "language": ""},
    )
    assert answer.status_code == 302
    assert _events() == [
        (
            "staff.role",
            "boss",
            "admin",
            None,
            {"from_role": "analyst", "to_role": "service", "via": "admin"},
        )
    ]


def test_assigning_a_manager_is_recorded_one_by_one_and_in_bulk(
    users: dict[str, Any], canary: Any, make_customer: Any
) -> None:
    customer_assign(
        actor=users["operations"], customer=canary, manager=users["other_manager"]
    )
    assert _events() == [
        (
            "scope.assigned",
            "operations",
            "operations",
            canary.pk,
            {"manager_id": users["other_manager"].pk, "count": 1, "via": "web"},
        )
    ]
    more = [make_customer() for _ in range(3)]
    action = bulk_action_prepare(
        actor=users["admin"],
        kind="assign",
        manager=users["account_manager"].pk,
        ids=[c.pk for c in [canary, *more]],
    )
    bulk_action_confirm(actor=users["admin"], action=action)
    bulk_action_run(action_id=action.pk)
    bulk = AuditEvent.objects.get(object_type="bulk_action")
    assert (bulk.action, bulk.customer_id, bulk.object_id, bulk.details) == (
        "scope.assigned",
        None,
        str(action.pk),
        {"manager_id": users["account_manager"].pk, "count": 4, "via": "bulk"},
    )


def test_settings_changes_name_the_settings_not_their_values(
    users: dict[str, Any],
) -> None:
    insight_settings_save(
        actor=users["admin"], values={"new_days": 45, "cv_window_days": 180}
    )
    tag_rules_update(actor=users["operations"], values={"active_days": "61"})
    # Saving the same values again changes nothing: no event.
    insight_settings_save(actor=users["admin"], values={"new_days": 45})
    assert [(a, d["settings"], d["fields"]) for a, _, _, _, d in _events()] == [
        ("settings.changed", "insights", ["new_days"]),
        ("settings.changed", "tag_rules", ["active_days"]),
    ]


def test_a_consent_record_is_an_event(users: dict[str, Any], canary: Any) -> None:
    record = consent_record(
        customer=canary,
        purpose="marketing",
        channel="sms",
        granted=True,
        source="staff",
        notice_version="2026-01",
        evidence="call with 金丝雀测试 13912345678",
        actor=users["service"],
    )
    event = AuditEvent.objects.get()
    assert (event.action, event.customer_id, event.object_id, event.details) == (
        "consent.recorded",
        canary.pk,
        str(record.pk),
        {"purpose": "marketing", "channel": "sms", "granted": True, "source": "staff"},
    )


def test_no_event_holds_a_personal_value_of_the_canary(
    users: dict[str, Any], canary: Any, api: Any
) -> None:
    """Every kind of event about the canary customer; then its values are
    searched for in every column of every event."""
    _client(users["admin"]).get(f"/customers/{canary.pk}/")
    api("account_manager").get(f"/api/v1/customers/{canary.pk}/")
    export_run(
        kind="customers",
        fmt="json",
        actor=users["admin"],
        out=io.StringIO(),
        destination="-",
    )
    customer_assign(
        actor=users["admin"], customer=canary, manager=users["other_manager"]
    )
    consent_record(
        customer=canary,
        purpose="marketing",
        channel="email",
        granted=False,
        source="staff",
        notice_version="v1",
        evidence=f"mail from {CANARY['email']}",
        actor=users["admin"],
    )
    events = list(AuditEvent.objects.values())
    assert {e["action"] for e in events} == {
        "customer.viewed",
        "export",
        "scope.assigned",
        "consent.recorded",
    }
    dumped = json.dumps(events, default=str, ensure_ascii=False)
    assert [text for text in CANARY_TEXTS if text in dumped] == []
    assert Role.ADMIN.value in dumped  # the scan reads the events' text
