"""What the surveys API shows (customers by the number or pseudonym the
caller knows them by; free text masked for roles without personal data)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from guanxi.customers.presenters import customer_ref
from guanxi.surveys.models import Invitation, Survey
from guanxi.surveys.presenters import answer_row


class SurveySerializer(serializers.ModelSerializer[Survey]):
    class Meta:
        model = Survey
        fields = ["kind", "active", "channel", "purpose", "triggers", "texts"]


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    customer = serializers.SerializerMethodField()
    survey = serializers.SerializerMethodField()
    answered = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = [
            "id", "survey", "customer", "trigger", "language", "store",
            "created_at", "expires_at", "answered", "answered_at",
        ]  # fmt: skip

    def get_customer(self, invitation: Invitation) -> str:
        return customer_ref(invitation.customer_id, policy=self.context["policy"])

    def get_survey(self, invitation: Invitation) -> str:
        return str(invitation.survey.kind)

    def get_answered(self, invitation: Invitation) -> bool:
        return invitation.answered_at is not None


class AnswerSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    customer = serializers.CharField()
    kind = serializers.CharField(source="kind_key")
    score = serializers.IntegerField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())
    text = serializers.CharField()
    scenario = serializers.CharField()
    pain_points = serializers.CharField()
    interests = serializers.CharField()
    language = serializers.CharField()
    answered_at = serializers.DateTimeField()

    def to_representation(self, instance: Any) -> Any:
        row = answer_row(
            instance,
            policy=self.context["policy"],
            name=str(instance.customer.name or ""),
        )
        row["reasons"] = list(instance.reasons)
        return super().to_representation(row)
