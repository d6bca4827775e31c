"""What the needs API reads and writes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from guanxi.needs.choices import NeedStatus
from guanxi.needs.models import Need
from guanxi.needs.presenters import need_row


class NeedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    term = serializers.CharField()
    status = serializers.ChoiceField(choices=NeedStatus.choices)
    topic = serializers.IntegerField(allow_null=True)
    topic_terms = serializers.ListField(child=serializers.CharField())
    phrases = serializers.ListField(child=serializers.CharField())
    texts = serializers.IntegerField()
    customers = serializers.IntegerField()
    revenue = serializers.CharField(help_text="Their spend on purchases, 2 decimals.")
    negative = serializers.FloatField(help_text="Mean probability of negative, 0–1.")
    negative_share = serializers.FloatField()
    trend = serializers.DictField(child=serializers.IntegerField())

    def to_representation(self, instance: Need) -> dict[str, Any]:
        row = need_row(instance)
        return {
            "id": instance.pk,
            "term": instance.term,
            "status": instance.status,
            "topic": instance.topic,
            "topic_terms": row["topic_terms"],
            "phrases": row["phrases"],
            "texts": instance.texts,
            "customers": instance.customers,
            "revenue": row["revenue"],
            "negative": row["negative"],
            "negative_share": round(instance.negative_share, 4),
            "trend": row["trend"],
        }


class ExampleSerializer(serializers.Serializer):  # type: ignore[type-arg]
    source = serializers.CharField()  # type: ignore[assignment]
    source_id = serializers.IntegerField()
    customer = serializers.CharField(help_text="Number, or pseudonym for analysts.")
    month = serializers.CharField()
    text = serializers.CharField(help_text="Masked as the ticket inbox masks.")


class NeedDetailSerializer(NeedSerializer):
    examples = ExampleSerializer(many=True)
    synonyms = serializers.ListField(child=serializers.CharField())
    told = serializers.IntegerField()


class NeedStatusSerializer(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.ChoiceField(choices=NeedStatus.choices)
