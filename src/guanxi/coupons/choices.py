"""The vocabulary of coupons other apps store and show."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["SOURCE_API", "SOURCE_STAFF", "CouponKind", "journey_source"]


class CouponKind(models.TextChoices):
    AMOUNT = "amount", _("amount off")
    PERCENT = "percent", _("percent off")


#: Where an issued coupon came from: staff (a page), the API, or a journey
#: (``journey:<slug>``, see :func:`journey_source`).
SOURCE_STAFF = "staff"
SOURCE_API = "api"


def journey_source(slug: str) -> str:
    """The source a journey issues its coupons under (its redemption rate is
    read by this source)."""
    return f"journey:{slug}"
