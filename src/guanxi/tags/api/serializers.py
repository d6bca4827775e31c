"""Tag serializers: shapes for the API, no business rules."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.core.serializers import DeclaredSerializer, IdField, LineField

__all__ = ["CustomerTagSerializer", "CustomerTagWriteSerializer", "TagSerializer"]


class TagSerializer(serializers.Serializer[Any]):
    """A tag and how many of the caller's customers have it."""

    id = serializers.IntegerField()
    name = serializers.CharField(help_text=_("The name people see and filter by."))
    name_en = serializers.CharField(
        help_text=_("English name of an automatic tag (empty: the name).")
    )
    label = serializers.SerializerMethodField(  # type: ignore[assignment]
        help_text=_("The name in the request's language.")
    )
    kind = serializers.CharField(help_text=_("manual or automatic"))
    key = serializers.CharField(
        allow_null=True, help_text=_("Rule key of an automatic tag (stage:new).")
    )
    color = serializers.CharField()
    customers = serializers.IntegerField(
        source="customers_in_scope",
        help_text=_("Customers in the caller's scope with this tag."),
    )

    def get_label(self, tag: Any) -> str:
        return str(tag.label())


class _LinkedTagSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    label = serializers.SerializerMethodField()  # type: ignore[assignment]
    kind = serializers.CharField()
    color = serializers.CharField()

    def get_label(self, tag: Any) -> str:
        return str(tag.label())


class CustomerTagSerializer(serializers.Serializer[Any]):
    """One tag of one customer: who set it, when and how."""

    tag = _LinkedTagSerializer()
    source = serializers.CharField(  # type: ignore[assignment]
        help_text=_("manual, automatic or import")
    )
    added_by = serializers.IntegerField(
        source="added_by_id",
        allow_null=True,
        help_text=_("User id of who set it (null: a scoring run or an import)."),
    )
    added_at = serializers.DateTimeField()


class CustomerTagWriteSerializer(DeclaredSerializer):
    """Tag a customer: an existing tag by ``tag`` (id) or by ``name`` (a new
    manual tag is created when the caller's role may create tags)."""

    tag = IdField(
        required=False, invalid_message=_("unknown tag"), help_text=_("Tag id.")
    )
    name = LineField(
        kind="tag",
        required=False,
        allow_blank=True,
        help_text=_("Tag name (at most 64 characters)."),
    )
