"""What the coupons API shows of a definition and an issued coupon (customers
by the number or pseudonym the caller knows them by), and the issue request."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.core.serializers import DeclaredSerializer
from guanxi.coupons.models import CouponDefinition, IssuedCoupon
from guanxi.customers.presenters import customer_ref

__all__ = [
    "CouponDefinitionSerializer",
    "IssueResultSerializer",
    "IssueSerializer",
    "IssuedCouponSerializer",
]

#: The most customers one API issue request names.
ISSUE_LIMIT = 1000


class CouponDefinitionSerializer(serializers.ModelSerializer[CouponDefinition]):
    class Meta:
        model = CouponDefinition
        fields = [
            "id", "slug", "name_zh", "name_en", "kind", "value", "minimum_spend",
            "expires_on", "valid_days", "per_customer_limit", "active",
        ]  # fmt: skip


class IssuedCouponSerializer(serializers.ModelSerializer[IssuedCoupon]):
    definition = serializers.CharField(source="definition.slug", read_only=True)
    customer = serializers.SerializerMethodField()
    redeemed_order = serializers.IntegerField(
        source="redeemed_order_id", allow_null=True, read_only=True
    )

    class Meta:
        model = IssuedCoupon
        fields = [
            "id", "definition", "customer", "code", "source", "issued_at",
            "expires_at", "redeemed_order", "redeemed_at",
        ]  # fmt: skip

    def get_customer(self, coupon: IssuedCoupon) -> str:
        return customer_ref(coupon.customer_id, policy=self.context["policy"])


class IssueSerializer(DeclaredSerializer):
    """Whom to issue a coupon to, and the key that makes a retry a no-op."""

    default_error_messages = {"invalid": _("expected an object")}

    customers = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=ISSUE_LIMIT,
        help_text=_("Customer numbers (at most 1,000 per request)."),
    )
    key = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=128,
        help_text=_(
            "Idempotency key: issuing again with the same key gives each "
            "customer no second coupon and answers with the same codes."
        ),
    )


class IssueResultSerializer(serializers.Serializer[Any]):
    issued = serializers.IntegerField()
    already = serializers.IntegerField()
    at_limit = serializers.IntegerField()
    unknown = serializers.IntegerField()
    codes = serializers.DictField(
        child=serializers.CharField(),
        help_text=_("Each customer's code under this key, by customer number."),
    )
