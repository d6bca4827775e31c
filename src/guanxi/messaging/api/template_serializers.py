"""Shapes of the message templates API; the services check the values."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.messaging.models import Template

__all__ = ["TemplateSerializer", "TemplateWriteSerializer"]

_TEXT_HELP = _(
    "Jinja2 text; variables: name, city, manager, store, product, coupon_code, "
    "survey_url, preferences_url."
)


class TemplateSerializer(serializers.ModelSerializer[Template]):
    """A stored template (no personal data: the text before rendering)."""

    created_by = serializers.SerializerMethodField(
        help_text=_("Username of who created it.")
    )
    updated_by = serializers.SerializerMethodField(
        help_text=_("Username of who changed it last.")
    )

    class Meta:
        model = Template
        fields = [
            "id",
            "name",
            "channel",
            "purpose",
            "subject_zh",
            "body_zh",
            "subject_en",
            "body_en",
            "created_by",
            "created_at",
            "updated_by",
            "updated_at",
        ]

    def get_created_by(self, template: Template) -> str:
        user = template.created_by
        return user.get_username() if user is not None else ""

    def get_updated_by(self, template: Template) -> str:
        user = template.updated_by
        return user.get_username() if user is not None else ""


class TemplateWriteSerializer(serializers.Serializer[Any]):
    """The declared input of a create or change. A create or a replace gives
    every field it wants (those left out are empty); a partial change keeps
    the ones it leaves out."""

    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    channel = serializers.CharField(
        max_length=20, required=False, help_text=_("email, sms, wecom or webhook")
    )
    purpose = serializers.CharField(
        max_length=20, required=False, help_text=_("service or marketing")
    )
    subject_zh = serializers.CharField(
        max_length=400,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=_TEXT_HELP,
    )
    body_zh = serializers.CharField(
        max_length=200_000,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=_TEXT_HELP,
    )
    subject_en = serializers.CharField(
        max_length=400,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=_TEXT_HELP,
    )
    body_en = serializers.CharField(
        max_length=200_000,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=_TEXT_HELP,
    )
