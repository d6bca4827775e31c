"""Retention: a dry run says what would go and changes nothing; a run purges
it and records it; a second run purges nothing; audit entries stay 3 years."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import override_settings
from django.utils import timezone

DAYS = {
    "inactive_customers": 1825,
    "messages": 730,
    "tracking_events": 365,
    "interactions": 1095,
    "inbound_mail": 90,
    "audit": 1095,
}


def _world(canary: Any) -> dict[str, Any]:
    """Old and recent rows of each category; the canary customer is active."""
    from guanxi.audit.models import AuditEvent
    from guanxi.customers.choices import InteractionKind
    from guanxi.customers.models import Customer, Interaction
    from guanxi.messaging.models import Message, MessageEvent

    now = timezone.now()
    old = now - dt.timedelta(days=2000)
    Interaction.objects.create(
        customer=canary.customer, kind=InteractionKind.VISIT, occurred_at=old
    )
    Interaction.objects.create(
        customer=canary.customer, kind=InteractionKind.VISIT, occurred_at=now
    )
    message = Message.objects.get(customer=canary.customer)
    Message.objects.filter(pk=message.pk).update(status="sent", created_at=old)
    MessageEvent.objects.create(message=message, kind="opened", occurred_at=old)
    fresh = Message.objects.create(
        cause="test",
        customer=canary.customer,
        channel="email",
        purpose="marketing",
        idempotency_key="fresh-1",
        status="sent",
    )
    MessageEvent.objects.create(message=fresh, kind="clicked", occurred_at=now)
    from guanxi.feedback.models import InboundMail

    for key, days in (("old", 91), ("new", 89)):
        InboundMail.objects.create(
            message_key=key,
            received_at=now - dt.timedelta(days=days),
            outcome=InboundMail.Outcome.TRIAGE,
            sender=f"{key}@example.net",
            text="你好",
        )
    AuditEvent.objects.create(action="export", at=now - dt.timedelta(days=4 * 365))
    AuditEvent.objects.create(action="export", at=now - dt.timedelta(days=2 * 365))
    sleeper = Customer.objects.create(first_seen_at=old)
    Customer.objects.filter(pk=sleeper.pk).update(created_at=old)
    Customer.objects.filter(pk=canary.customer.pk).update(last_purchase_at=now)
    return {"sleeper": sleeper.pk}


def _counts() -> dict[str, int]:
    from guanxi.audit.models import AuditEvent
    from guanxi.customers.models import Customer, Interaction
    from guanxi.feedback.models import InboundMail
    from guanxi.messaging.models import Message, MessageEvent

    return {
        m.__name__: m.objects.count()
        for m in (AuditEvent, Customer, Interaction, Message, MessageEvent, InboundMail)
    }


@override_settings(GUANXI_RETENTION_DAYS=DAYS)
def test_dry_run_then_purge_then_nothing(canary: Any, run_command: Any) -> None:
    from guanxi.privacy.models import Erasure, RetentionRun

    made = _world(canary)
    before = _counts()
    dry = run_command("retention", "purge", "--dry-run", "--json")
    assert dry.code == 0, dry.stderr
    expected = {
        "interactions": 1,
        "tracking_events": 1,
        "messages": 1,
        "inbound_mail": 1,
        "audit": 1,
        "inactive_customers": 1,
    }
    assert json.loads(dry.stdout) == {"dry_run": True, "counts": expected, "days": DAYS}
    assert _counts() == before

    done = run_command("retention", "purge", "--json")
    assert json.loads(done.stdout)["counts"] == expected
    erasure = Erasure.objects.get()
    assert (erasure.customer_id, erasure.cause) == (made["sleeper"], "retention")
    from guanxi.feedback.models import InboundMail

    assert list(InboundMail.objects.values_list("message_key", flat=True)) == ["new"]

    again = run_command("retention", "purge", "--json")
    assert json.loads(again.stdout)["counts"] == dict.fromkeys(expected, 0)
    assert [r.dry_run for r in RetentionRun.objects.order_by("pk")] == [
        True,
        False,
        False,
    ]


@override_settings(GUANXI_RETENTION_DAYS={**DAYS, "audit": 30})
def test_audit_entries_are_kept_three_years_whatever_is_set(canary: Any) -> None:
    from guanxi.audit.models import AuditEvent
    from guanxi.privacy.services import retention_purge

    now = timezone.now()
    kept = AuditEvent.objects.create(action="export", at=now - dt.timedelta(days=1000))
    AuditEvent.objects.create(action="export", at=now - dt.timedelta(days=1200))
    report = retention_purge(dry_run=False)
    assert report.days["audit"] == 1095
    assert report.counts["audit"] == 1
    assert AuditEvent.objects.filter(pk=kept.pk).exists()


def test_audit_purge_never_takes_a_younger_entry(db: Any) -> None:
    from guanxi.audit.models import AuditEvent
    from guanxi.audit.services import audit_purge

    young = AuditEvent.objects.create(action="export")
    assert audit_purge(before=timezone.now(), dry_run=False) == 0
    assert AuditEvent.objects.filter(pk=young.pk).exists()


@override_settings(GUANXI_RETENTION_DAYS=dict.fromkeys(DAYS, 0))
def test_zero_keeps_everything(canary: Any) -> None:
    from guanxi.privacy.services import retention_purge

    _world(canary)
    before = _counts()
    assert set(retention_purge(dry_run=False).counts.values()) == {0}
    assert _counts() == before


def test_the_text_report_in_english(canary: Any, run_command: Any) -> None:
    with override_settings(GUANXI_RETENTION_DAYS={**DAYS, "messages": 0}):
        result = run_command("retention", "purge", "--dry-run")
    assert result.stdout.splitlines() == [
        "Would go (dry run):",
        "  Interactions: 0 (kept 1095 days)",
        "  Tracking events (opens, clicks): 0 (kept 365 days)",
        "  Messages: 0 (kept for ever)",
        "  E-mails in the feedback triage: 0 (kept 90 days)",
        "  Audit entries: 0 (kept 1095 days)",
        "  Inactive customers (erased): 0 (kept 1825 days)",
    ]


def test_the_periodic_task_runs_the_purge(canary: Any) -> None:
    from guanxi.privacy.models import RetentionRun
    from guanxi.privacy.tasks import retention_purge_task

    retention_purge_task.call_local()
    assert RetentionRun.objects.get().dry_run is False
