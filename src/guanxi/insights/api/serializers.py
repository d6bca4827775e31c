"""Scores as the API shows them: the customer as the caller's role knows them."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from guanxi.customers.presenters import customer_ref
from guanxi.insights.models import ScoreRun, ScoreSnapshot

#: Every score a snapshot holds: its fields (the columns a run writes) but its
#: id and the customer. Read off the model, not the run's writer, which
#: would bring pandas into every start of Django.
SCORE_FIELDS = tuple(
    f.name
    for f in ScoreSnapshot._meta.concrete_fields
    if f.name not in {"id", "customer"}
)


class ScoreSerializer(serializers.ModelSerializer[ScoreSnapshot]):
    """One customer's scores as of one date."""

    customer = serializers.SerializerMethodField(
        help_text="The customer's number, or a pseudonym for roles that see no "
        "customer numbers."
    )
    emotion_reasons = serializers.JSONField(
        help_text="Engagement signals in the window: "
        '[{"signal": "visit", "count": 3, "points": 6.0}, …], largest effect first.'
    )
    churn_reasons = serializers.JSONField(
        help_text="What raises the churn risk most (for customers at risk): "
        '[{"feature": "days_since_last_purchase", "value": 45, "effect": 0.12}, …].'
    )

    class Meta:
        model = ScoreSnapshot
        fields = ("customer", *SCORE_FIELDS)
        read_only_fields = fields

    def get_customer(self, snapshot: ScoreSnapshot) -> str:
        return customer_ref(snapshot.customer_id, policy=self.context["policy"])


class CustomerScoresSerializer(serializers.Serializer[Any]):
    """A customer's latest scores and their history (latest first)."""

    customer = serializers.CharField()
    current = ScoreSerializer(allow_null=True)
    history = ScoreSerializer(many=True)


class RunSerializer(serializers.ModelSerializer[ScoreRun]):
    """A scoring run: its date, state and counts (figures over every customer)."""

    class Meta:
        model = ScoreRun
        fields = (
            "as_of",
            "status",
            "step",
            "progress",
            "customers",
            "summary",
            "started_at",
            "finished_at",
            "seconds",
        )
        read_only_fields = fields
