"""What the tickets API shows of a ticket (the customer by the number or
pseudonym the caller knows them by; free text masked as the role reads it)
and the bodies it takes (checked by the services, which say what is wrong)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from guanxi.customers.presenters import customer_ref
from guanxi.feedback.choices import Category, Channel, Priority, Status
from guanxi.feedback.models import MAX_TEXT, Ticket
from guanxi.feedback.presenters import ticket_text

__all__ = [
    "ReplySerializer",
    "StatusSerializer",
    "TicketCreateSerializer",
    "TicketSerializer",
]


class TicketSerializer(serializers.ModelSerializer[Ticket]):
    customer = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()
    breached = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id", "customer", "category", "channel", "priority", "status", "owner",
            "text", "source", "opened_at", "first_reply_due", "solve_due",
            "first_reply_at", "solved_at", "ended_at", "close_reason", "breached",
        ]  # fmt: skip

    def get_customer(self, ticket: Ticket) -> str:
        return customer_ref(ticket.customer_id, policy=self.context["policy"])

    def get_owner(self, ticket: Ticket) -> str | None:
        return ticket.owner.get_username() if ticket.owner is not None else None

    def get_text(self, ticket: Ticket) -> str:
        return ticket_text(
            ticket.text, customer=ticket.customer, policy=self.context["policy"]
        )

    def get_breached(self, ticket: Ticket) -> bool:
        return bool(ticket.first_reply_breached_at or ticket.solve_breached_at)


def _text(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        max_length=MAX_TEXT * 2, allow_blank=True, trim_whitespace=False, **kwargs
    )


class TicketCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A new ticket: the customer's number, category, text; channel and
    priority optional."""

    customer = serializers.IntegerField(min_value=1, max_value=2**62)
    category = serializers.ChoiceField(choices=Category.choices)
    text = _text()
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)


class ReplySerializer(serializers.Serializer):  # type: ignore[type-arg]
    text = _text()
    internal = serializers.BooleanField(required=False, default=False)


class StatusSerializer(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(max_length=1000, allow_blank=True, required=False)
