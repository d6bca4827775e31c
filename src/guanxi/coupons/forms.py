"""The coupon definition form: parses the page's fields into clean values for
``coupon_definition_save`` (one message per field, in the user's language)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from guanxi.coupons.choices import CouponKind

__all__ = ["VALIDITY_DAYS", "VALIDITY_FIXED", "CouponDefinitionForm"]

VALIDITY_FIXED = "fixed"
VALIDITY_DAYS = "days"


class CouponDefinitionForm(forms.Form):
    slug = forms.CharField(
        max_length=64,
        validators=[
            RegexValidator(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                _("use lowercase letters, digits and dashes (e.g. vip-200)"),
            )
        ],
    )
    name_zh = forms.CharField(max_length=100)
    name_en = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=CouponKind.choices)
    value = forms.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )
    minimum_spend = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), required=False
    )
    validity = forms.ChoiceField(
        choices=[
            (VALIDITY_DAYS, _("days after issue")),
            (VALIDITY_FIXED, _("until a date")),
        ]
    )
    valid_days = forms.IntegerField(min_value=1, max_value=3650, required=False)
    expires_on = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    per_customer_limit = forms.IntegerField(min_value=1, max_value=1000)
    active = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("validity") == VALIDITY_DAYS:
            data["expires_on"] = None
            if data.get("valid_days") is None and "valid_days" not in self.errors:
                self.add_error("valid_days", _("give the number of valid days"))
        elif data.get("validity") == VALIDITY_FIXED:
            data["valid_days"] = None
            if data.get("expires_on") is None and "expires_on" not in self.errors:
                self.add_error("expires_on", _("give the expiry date"))
        if (
            data.get("kind") == CouponKind.PERCENT
            and (data.get("value") or 0) > 100
            and "value" not in self.errors
        ):
            self.add_error("value", _("a percentage must be between 0 and 100"))
        if data.get("minimum_spend") is None:
            data["minimum_spend"] = Decimal(0)
        return data

    def values(self) -> dict[str, Any]:
        """The model's values from a valid form."""
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "slug",
                "name_zh",
                "name_en",
                "kind",
                "value",
                "minimum_spend",
                "valid_days",
                "expires_on",
                "per_customer_limit",
                "active",
            )
        }

    def first_errors(self) -> dict[str, str]:
        return {name: str(errors[0]) for name, errors in self.errors.items()}
