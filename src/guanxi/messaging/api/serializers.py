"""Consent and message serializers: shapes for the API, no business rules (the service
checks the values, with the messages people see)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.core.serializers import StoredMomentField
from guanxi.customers.presenters import customer_ref
from guanxi.messaging.choices import (
    ConsentChannel,
    ConsentSource,
    MessageChannel,
    MessageStatus,
    Purpose,
    SuppressReason,
)
from guanxi.messaging.models import Message
from guanxi.messaging.selectors import message_events

__all__ = [
    "ConsentRecordSerializer",
    "ConsentWriteSerializer",
    "MessageDetailSerializer",
    "MessageEventSerializer",
    "MessageSerializer",
]


class ConsentRecordSerializer(serializers.Serializer[Any]):
    """One statement in a customer's consent ledger."""

    id = serializers.IntegerField()
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    channel = serializers.ChoiceField(choices=ConsentChannel.choices)
    granted = serializers.BooleanField()
    source = serializers.ChoiceField(choices=ConsentSource.choices)  # type: ignore[assignment]
    evidence = serializers.CharField()
    notice_version = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    recorded_by = serializers.IntegerField(
        source="recorded_by_id", allow_null=True, help_text=_("User id (staff).")
    )


class ConsentWriteSerializer(serializers.Serializer[Any]):
    """Record consent granted or withdrawn, with its evidence."""

    purpose = serializers.CharField(help_text=_("service, marketing or profiling"))
    channel = serializers.CharField(help_text=_("email, sms, wecom or phone"))
    granted = serializers.BooleanField()
    source = serializers.CharField(  # type: ignore[assignment]
        required=False,
        default=ConsentSource.API.value,
        help_text=_("import, form, api (default), staff or unsubscribe"),
    )
    notice_version = serializers.CharField(
        help_text=_("The version of the privacy notice the customer saw.")
    )
    evidence = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("What shows it: an import batch, a form, a request id."),
    )


class MessageEventSerializer(serializers.Serializer[Any]):
    """What a message's channel reported after it was sent."""

    kind = serializers.CharField(help_text=_("delivered or undelivered"))
    code = serializers.CharField(help_text=_("The provider's code."))
    occurred_at = StoredMomentField()
    recorded_at = StoredMomentField()


class MessageSerializer(serializers.Serializer[Any]):
    """One message of the outbox: its status, and why when it was not sent."""

    id = serializers.IntegerField()
    customer = serializers.CharField(
        help_text=_("Customer number, or a pseudonymous id for analysts.")
    )
    channel = serializers.ChoiceField(choices=MessageChannel.choices)
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    broadcast = serializers.IntegerField(allow_null=True)
    cause = serializers.CharField()
    status = serializers.ChoiceField(choices=MessageStatus.choices)
    reason = serializers.ChoiceField(
        choices=[("", ""), *SuppressReason.choices],
        help_text=_("Why it was suppressed (empty otherwise)."),
    )
    attempts = serializers.IntegerField()
    last_error = serializers.CharField(
        help_text=_("The channel's answer to the last failed attempt (a code).")
    )
    created_at = StoredMomentField()
    next_attempt_at = StoredMomentField()
    sent_at = StoredMomentField(allow_null=True)
    language = serializers.CharField(
        help_text=_(
            "The language it was sent in (zh-hans or en); empty before it is "
            "sent, or for a text of no known language."
        )
    )

    def to_representation(self, instance: Message) -> dict[str, Any]:
        moment = self.fields["created_at"]
        return {
            "id": instance.pk,
            "customer": customer_ref(
                instance.customer_id, policy=self.context["policy"]
            ),
            "channel": instance.channel,
            "purpose": instance.purpose,
            "broadcast": instance.broadcast_id,
            "cause": instance.cause,
            "status": instance.status,
            "reason": instance.reason,
            "attempts": instance.attempts,
            "last_error": instance.last_error,
            "created_at": moment.to_representation(instance.created_at),
            "next_attempt_at": moment.to_representation(instance.next_attempt_at),
            "sent_at": (
                moment.to_representation(instance.sent_at) if instance.sent_at else None
            ),
            "language": instance.language,
        }


class MessageDetailSerializer(MessageSerializer):
    """A message with what happened to it after it was sent."""

    events = MessageEventSerializer(many=True)

    def to_representation(self, instance: Message) -> dict[str, Any]:
        return {
            **super().to_representation(instance),
            "events": MessageEventSerializer(
                message_events(message_id=instance.pk), many=True
            ).data,
        }
