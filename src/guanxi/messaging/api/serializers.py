"""Consent serializers: shapes for the API, no business rules (the service
checks the values, with the messages people see)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.messaging.choices import ConsentChannel, ConsentSource, Purpose

__all__ = ["ConsentRecordSerializer", "ConsentWriteSerializer"]


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
