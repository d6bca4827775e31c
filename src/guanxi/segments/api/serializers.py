"""Segment serializers: shapes for the API; the rules are checked by the services."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.segments.models import Segment

__all__ = [
    "RULES_HELP",
    "SegmentCountSerializer",
    "SegmentRulesSerializer",
    "SegmentSerializer",
    "SegmentWriteSerializer",
]

RULES_HELP = _(
    'A tree of groups {"all": [...]}, {"any": [...]}, {"not": ...} and rules '
    '{"field": "quadrant", "op": "eq", "value": "star"}. Fields: city, gender, '
    "birth_year, preferred_channel, assigned_manager, first_seen, tag, quadrant, "
    "stage, emotion, rfm_segment, r_score, f_score, m_score, current_value, "
    "potential_value, value_score, churn_risk, p_alive, expected_purchases_90d, "
    "days_since_last_purchase, orders, total_spend, orders_30d, spend_30d. A tag "
    "is named by its number or its name and kept as its number."
)
_RULES_EXAMPLE = {
    "all": [
        {"field": "quadrant", "op": "eq", "value": "star"},
        {"field": "city", "op": "eq", "value": "上海"},
        {"not": {"field": "tag", "op": "has", "value": "complained"}},
    ]
}


class SegmentSerializer(serializers.ModelSerializer[Segment]):
    """A segment (definitions hold no personal data)."""

    rules = serializers.JSONField(help_text=RULES_HELP)
    created_by = serializers.SerializerMethodField(
        help_text=_("Username of who created it (empty for the shipped defaults).")
    )

    class Meta:
        model = Segment
        fields = [
            "id",
            "name",
            "description",
            "rules",
            "is_default",
            "created_by",
            "created_at",
            "updated_at",
        ]

    def get_created_by(self, segment: Segment) -> str:
        user = segment.created_by
        return user.get_username() if user is not None else ""


class SegmentWriteSerializer(serializers.Serializer[Any]):
    """The declared input of a create or change; the services check the values."""

    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(
        max_length=2000, required=False, allow_blank=True
    )
    rules = serializers.JSONField(required=False, help_text=RULES_HELP)


class SegmentRulesSerializer(serializers.Serializer[Any]):
    """Rules to count without saving them (what the builder does)."""

    rules = serializers.JSONField(help_text=RULES_HELP)


class SegmentCountSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text=_("Members in the caller's scope."))
    customers = serializers.IntegerField(
        help_text=_("Every customer in the caller's scope.")
    )
    share = serializers.FloatField(help_text=_("count / customers (0–1)."))
    as_of = serializers.DateField(
        allow_null=True, help_text=_("Date of the scores the rules read (null: none).")
    )
    scores = serializers.BooleanField(
        help_text=_("Whether the rules test scores (then only scored customers match).")
    )


EXAMPLE_RULES = _RULES_EXAMPLE
