"""What the journeys API shows of a journey and an enrolment (customers by
the number or pseudonym the caller knows them by), and the write request."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.core.serializers import DeclaredSerializer
from guanxi.customers.presenters import customer_ref
from guanxi.journeys.choices import EntryRule, Period
from guanxi.journeys.models import Enrolment, Journey

__all__ = [
    "EnrolmentSerializer",
    "JourneyCreateSerializer",
    "JourneySerializer",
    "JourneyUpdateSerializer",
]


class JourneySerializer(serializers.ModelSerializer[Journey]):
    version = serializers.SerializerMethodField()
    definition = serializers.SerializerMethodField()

    class Meta:
        model = Journey
        fields = [
            "slug", "name_zh", "name_en", "state", "holdout_percent",
            "entry_rule", "entry_period", "exit_on_purchase", "enabled_at",
            "created_at", "version", "definition",
        ]  # fmt: skip

    def get_version(self, journey: Journey) -> int | None:
        version = journey.current_version
        return version.number if version is not None else None

    def get_definition(self, journey: Journey) -> dict[str, Any] | None:
        version = journey.current_version
        return dict(version.definition) if version is not None else None


class EnrolmentSerializer(serializers.ModelSerializer[Enrolment]):
    journey = serializers.CharField(source="journey.slug", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    customer = serializers.SerializerMethodField()

    class Meta:
        model = Enrolment
        fields = [
            "id", "journey", "version", "customer", "state", "exit_reason",
            "holdout", "step", "entered_at", "next_due_at", "finished_at",
        ]  # fmt: skip

    def get_customer(self, enrolment: Enrolment) -> str:
        return customer_ref(enrolment.customer_id, policy=self.context["policy"])


class JourneyUpdateSerializer(DeclaredSerializer):
    """A journey's names, rules and definition (checked by the services: a
    refused definition answers with the message naming the step)."""

    default_error_messages = {"invalid": _("expected an object")}

    name_zh = serializers.CharField(max_length=100)
    name_en = serializers.CharField(max_length=100)
    holdout_percent = serializers.IntegerField(min_value=0, max_value=50, default=10)
    entry_rule = serializers.ChoiceField(
        choices=EntryRule.choices, default=EntryRule.ONCE
    )
    entry_period = serializers.ChoiceField(choices=Period.choices, default=Period.YEAR)
    exit_on_purchase = serializers.BooleanField(default=False)
    definition = serializers.JSONField(
        help_text=_("The trigger and the steps, as docs/journeys.md describes.")
    )


class JourneyCreateSerializer(JourneyUpdateSerializer):
    slug = serializers.CharField(max_length=64)
