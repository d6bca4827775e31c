"""Customer and interaction serializers: shapes for the API, no business rules.

Output goes through :func:`guanxi.customers.presenters.customer_card`, so the API
shows a role exactly what the web pages and exports show it. Input is handed to
the services, which validate and write.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.access.policies import Policy
from guanxi.core.errors import ValidationFailed
from guanxi.core.serializers import (
    REQUIRED,
    BirthdayField,
    DeclaredSerializer,
    IdField,
    LineField,
    MomentField,
    NoteField,
    StoredMomentField,
)
from guanxi.customers.choices import Channel, Gender, InteractionKind
from guanxi.customers.models import Customer, Interaction
from guanxi.customers.preferences import language_parse, time_zone_parse
from guanxi.customers.presenters import customer_card, customer_ref

__all__ = [
    "CUSTOMER_PROFILE_FIELDS",
    "CustomerSerializer",
    "CustomerWriteSerializer",
    "InteractionSerializer",
    "InteractionWriteSerializer",
]


class _KindField(serializers.ChoiceField):
    """An interaction kind, refused with the list of kinds (not the input)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"required": REQUIRED, "null": REQUIRED})
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) or data not in InteractionKind.values:
            raise serializers.ValidationError(
                gettext("not a valid kind (expected one of: %(choices)s)")
                % {"choices": ", ".join(InteractionKind.values)}
            )
        return data


#: What a PUT replaces; fields left out of a PUT are cleared.
CUSTOMER_PROFILE_FIELDS: dict[str, Any] = {
    "name": "",
    "phone": None,
    "email": None,
    "address": "",
    "birthday": None,
    "gender": "",
    "city": "",
    "preferred_channel": "",
    "language": "",
    "time_zone": "",
    "tags": [],
}


class CustomerSerializer(serializers.Serializer[Customer]):
    """A customer as the requesting role may see it.

    Analysts get only ``id`` (a pseudonym), city, gender, birth year, channel,
    tags and first-seen time; operations get masked contact fields.
    """

    id = serializers.CharField(
        help_text=_("Customer number, or a pseudonymous id for analysts.")
    )
    pk = serializers.IntegerField(
        required=False, help_text=_("Customer number (not shown to analysts).")
    )
    name = serializers.CharField(required=False)
    phone = serializers.CharField(
        required=False, help_text=_("E.164, or masked (138****8000) for operations.")
    )
    email = serializers.CharField(required=False)
    address = serializers.CharField(required=False)
    birthday = serializers.DateField(required=False, allow_null=True)
    city = serializers.CharField()
    gender = serializers.CharField()
    birth_year = serializers.IntegerField(allow_null=True)
    preferred_channel = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    first_seen_at = StoredMomentField(allow_null=True)
    language = serializers.CharField(
        required=False,
        help_text=_(
            "zh-hans or en: the language messages are written in; empty: the "
            "business's (not shown to analysts)."
        ),
    )
    time_zone = serializers.CharField(
        required=False,
        help_text=_(
            "IANA time zone for quiet hours; empty: the business's (not shown "
            "to analysts)."
        ),
    )
    assigned_manager = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("User id of the account manager.")
    )

    def to_representation(self, instance: Customer) -> dict[str, Any]:
        policy: Policy = self.context["policy"]
        card = customer_card(instance, policy=policy)
        data = super().to_representation(card)  # type: ignore[arg-type]
        # Only what the card holds: a field the role may not see is absent, not null.
        return {key: value for key, value in data.items() if key in card}


class CustomerWriteSerializer(DeclaredSerializer):
    """The declared input of a customer create or update.

    Text is cleaned by :mod:`guanxi.core.values` (control characters refused,
    lengths bounded), the birthday must lie from 1900-01-01 to today; phone and
    email are normalised by the services, which also check they are unique.
    """

    name = LineField(kind="name", required=False, allow_blank=True)
    phone = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=64,
        help_text=_("Any common format; stored as E.164 (+8613800138000)."),
    )
    email = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=254
    )
    address = LineField(kind="address", required=False, allow_blank=True)
    birthday = BirthdayField(required=False)
    gender = serializers.ChoiceField(
        choices=Gender.choices, required=False, allow_blank=True
    )
    city = LineField(kind="city", required=False, allow_blank=True)
    preferred_channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, allow_blank=True
    )
    language = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text=_(
            "zh-hans or en, in any common spelling (zh, zh-CN, 中文, English); "
            "empty: the business's language."
        ),
    )
    time_zone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=_(
            "An IANA time zone (Asia/Shanghai, Europe/Berlin); empty: the "
            "business's. Quiet hours for marketing are kept in it."
        ),
    )
    assigned_manager = IdField(
        required=False,
        allow_null=True,
        invalid_message=_("no active user with this id"),
        help_text=_(
            "User id of the account manager; only roles allowed to assign may set it."
        ),
    )
    tags = serializers.ListField(
        child=LineField(kind="tag"), required=False, max_length=50
    )

    def validate_language(self, value: str) -> str:
        return _parsed(language_parse, value)

    def validate_time_zone(self, value: str) -> str:
        return _parsed(time_zone_parse, value)


def _parsed(parse: Any, value: str) -> str:
    """``parse(value)``, its refusal as the field's error."""
    try:
        return str(parse(value))
    except ValidationFailed as error:
        raise serializers.ValidationError(error.message) from None


class InteractionSerializer(serializers.Serializer[Interaction]):
    """An interaction as the API returns it."""

    id = serializers.IntegerField()
    customer = serializers.CharField(
        source="customer_id",
        help_text=_("Customer number, or a pseudonymous id for analysts."),
    )
    kind = serializers.CharField()
    occurred_at = StoredMomentField()
    channel = serializers.CharField()
    note = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    external_id = serializers.CharField(allow_null=True)

    def to_representation(self, instance: Interaction) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        data["customer"] = customer_ref(
            instance.customer_id, policy=self.context["policy"]
        )
        return data


class InteractionWriteSerializer(DeclaredSerializer):
    """The declared input of an interaction; the service checks the customer is
    in the caller's scope and the ``(source, external_id)`` is not someone else's."""

    customer = IdField(
        invalid_message=_("unknown customer"), help_text=_("Customer number.")
    )
    kind = _KindField(choices=InteractionKind.choices)
    occurred_at = MomentField()
    channel = LineField(kind="channel", required=False, allow_blank=True)
    note = NoteField(required=False, allow_blank=True)
    source = LineField(  # type: ignore[assignment]
        kind="source", required=False, allow_blank=True
    )
    external_id = LineField(
        kind="external_id",
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text=_("With source, makes the call idempotent."),
    )
