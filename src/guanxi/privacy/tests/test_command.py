"""``guanxi dsar export`` and ``guanxi dsar erase``."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from guanxi.privacy.tests.conftest import CANARIES


def _counts() -> dict[str, int]:
    from guanxi.commerce.models import Order
    from guanxi.customers.models import Customer, Interaction
    from guanxi.messaging.models import Message

    return {
        m.__name__: m.objects.count() for m in (Customer, Order, Interaction, Message)
    }


def test_erase_prints_exactly_one_object(canary: Any, run_command: Any) -> None:
    cid = canary.customer.pk
    result = run_command("dsar", "erase", cid, "--yes", "--json")
    assert result.code == 0, result.stderr
    assert result.stdout == (
        json.dumps({"customer": cid, "orders_pseudonymised": 2, "erased": True}) + "\n"
    )
    assert json.loads(result.stdout) == {
        "customer": cid,
        "orders_pseudonymised": 2,
        "erased": True,
    }


def test_erase_without_yes_changes_nothing(canary: Any, run_command: Any) -> None:
    before = _counts()
    cid = canary.customer.pk
    result = run_command("dsar", "erase", cid, "--json")
    assert result.code == 1
    assert result.stderr == (
        f"Erasing customer {cid} deletes their profile, messages and marketing "
        "data for good: add --yes to confirm."
    )
    assert _counts() == before


def test_erase_of_an_unknown_customer_changes_nothing(
    canary: Any, run_command: Any
) -> None:
    before = _counts()
    result = run_command("dsar", "erase", 999999, "--yes", "--json")
    assert (result.code, result.stderr) == (1, "There is no customer number 999999.")
    result = run_command("dsar", "erase", "abc", "--yes")
    assert result.stderr == "The customer number must be a whole number, like 42."
    assert _counts() == before


def test_a_tombstone_cannot_be_erased_again(canary: Any, run_command: Any) -> None:
    from guanxi.privacy.models import Erasure

    run_command("dsar", "erase", canary.customer.pk, "--yes")
    tombstone = Erasure.objects.get().tombstone_id
    result = run_command("dsar", "erase", tombstone, "--yes")
    assert result.code == 1
    assert result.stderr == (
        f"Customer number {tombstone} stands in for an erased customer's orders: "
        "it holds no personal data."
    )


def test_export_json_holds_every_record(canary: Any, run_command: Any) -> None:
    from guanxi.audit.models import AuditEvent

    result = run_command("dsar", "export", canary.customer.pk)
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    records = data["records"]
    (profile,) = records["customers.Customer"]
    assert profile["name"] == CANARIES["name"]
    assert profile["phone"] == CANARIES["phone"]
    assert profile["email"] == CANARIES["email"]
    assert profile["address"] == CANARIES["address"]
    assert profile["birthday"] == CANARIES["birthday"]
    assert "phone_index" not in profile and "assigned_manager_id" not in profile
    assert [o["external_id"] for o in records["commerce.Order"]] == [
        "CANARY-0",
        "CANARY-1",
    ]
    assert len(records["commerce.OrderLine"]) == 2
    assert records["customers.Interaction"][0]["note"] == CANARIES["note"]
    assert len(records["messaging.ConsentRecord"]) == 1
    assert len(records["messaging.Message"]) == 1
    assert len(records["messaging.MessageEvent"]) == 1
    assert records["messaging.CallTask"][0]["script"] == CANARIES["script"]
    assert len(records["insights.ScoreSnapshot"]) == 1
    assert len(records["care.CareTask"]) == 1
    assert len(records["care.ChurnWarning"]) == 1
    assert len(records["customers.CustomerTag"]) == 1
    # The export itself is audited, without the values.
    event = AuditEvent.objects.get(action="privacy.exported")
    assert event.customer_id == canary.customer.pk
    assert CANARIES["name"] not in json.dumps(event.details)


def test_export_zip_has_formula_safe_csvs(
    canary: Any, run_command: Any, tmp_path: Path
) -> None:
    from guanxi.customers.models import Customer

    Customer.objects.filter(pk=canary.customer.pk).update(city="=HYPERLINK(1)")
    out = tmp_path / "person.zip"
    result = run_command("dsar", "export", canary.customer.pk, "--out", out)
    assert result.code == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        assert {"customers.Customer.csv", "commerce.Order.csv", "audit.csv"} <= names
        text = archive.read("customers.Customer.csv").decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["city"] == "'=HYPERLINK(1)"
    assert row["name"] == CANARIES["name"]
    assert row["purchase_total"] == "300.50"


def test_export_refuses_other_file_kinds(canary: Any, run_command: Any) -> None:
    result = run_command("dsar", "export", canary.customer.pk, "--out", "x.txt")
    assert (result.code, result.stderr) == (
        1,
        "--out must name a .json or a .zip file.",
    )


def test_export_into_a_missing_folder_is_refused_before_anything_is_read(
    canary: Any, run_command: Any, tmp_path: Any
) -> None:
    from guanxi.audit.models import AuditEvent

    events = AuditEvent.objects.count()
    target = tmp_path / "nowhere" / "export.zip"
    result = run_command("dsar", "export", canary.customer.pk, "--out", str(target))
    assert (result.code, result.stderr) == (
        1,
        f"--out: the folder {target.parent} does not exist.",
    )
    assert AuditEvent.objects.count() == events
    assert not target.parent.exists()


def test_the_profile_shows_a_minor(world: Any, client_for: Any) -> None:
    from django.utils import timezone

    today = timezone.localdate()
    customer = world.own_customer
    customer.birthday = today.replace(year=today.year - 12)
    customer.save()
    page = client_for("admin").get(f"/customers/{customer.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="minor-flag"' in text
    assert "Sensitive personal information: no marketing and no tracking" in text
    other = client_for("admin").get(f"/customers/{world.foreign_customer.pk}/")
    assert 'id="minor-flag"' not in other.content.decode()


def test_open_requests_come_first_soonest_due_first(canary: Any) -> None:
    import datetime as dt

    from guanxi.privacy.models import DataRequest
    from guanxi.privacy.selectors import request_list

    day = dt.date(2026, 11, 1)
    done = DataRequest.objects.create(
        kind="access", customer_id=1, due_on=day, status="done"
    )
    later = DataRequest.objects.create(
        kind="access", customer_id=1, due_on=day.replace(day=20)
    )
    sooner = DataRequest.objects.create(
        kind="erasure", customer_id=1, due_on=day.replace(day=5)
    )
    assert list(request_list()) == [sooner, later, done]


def test_the_export_leaves_out_colleagues_in_audit_events(
    canary: Any, run_command: Any
) -> None:
    from guanxi.audit.services import manager_assigned

    manager_assigned(actor=None, customer_id=canary.customer.pk, manager_id=77)
    data = json.loads(run_command("dsar", "export", canary.customer.pk).stdout)
    (event,) = [e for e in data["audit"] if e["action"] == "scope.assigned"]
    assert "manager_id" not in event["details"]
    assert "actor" not in event and "actor_label" not in event
