"""Coupon definitions, the coupons issued to customers, and co-purchase pairs.

A :class:`CouponDefinition` says what a coupon is worth and how long it holds;
an :class:`IssuedCoupon` is one customer's copy with its own unguessable code,
redeemed at most once by an order. :class:`ProductPair` holds the co-purchase
figures ("bought A → often also B") of the latest computation.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.commerce.models import Order, Product
from guanxi.coupons.choices import CouponKind
from guanxi.customers.models import Customer

#: A coupon code: 10 characters from an alphabet without 0/O/1/I (32 symbols,
#: 50 bits of randomness).
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10


class CouponDefinition(models.Model):
    """What a coupon is worth, from what spend, and for how long."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=10, choices=CouponKind.choices, default=CouponKind.AMOUNT
    )
    value = models.DecimalField(
        _("face value"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    minimum_spend = models.DecimalField(
        _("minimum spend"),
        max_digits=12,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    #: Fixed expiry: valid until the end of this day (the business's time zone).
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    #: Or valid for this many days after it was issued.
    valid_days = models.PositiveIntegerField(_("valid days"), null=True, blank=True)
    per_customer_limit = models.PositiveIntegerField(
        _("per-customer limit"), default=1, validators=[MinValueValidator(1)]
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("coupon definition")
        verbose_name_plural = _("coupon definitions")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(expires_on__isnull=False, valid_days__isnull=True)
                    | models.Q(expires_on__isnull=True, valid_days__isnull=False)
                ),
                name="coupon_definition_one_validity",
                violation_error_message=_(
                    "give either an expiry date or a number of valid days"
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(value__gt=0)
                & (models.Q(kind=CouponKind.AMOUNT) | models.Q(value__lte=100)),
                name="coupon_definition_value",
                violation_error_message=_("a percentage must be between 0 and 100"),
            ),
        ]

    def __str__(self) -> str:
        return self.slug


class IssuedCoupon(models.Model):
    """One customer's coupon: its code, where it came from, and its redemption.

    Holds personal data: the link to its customer.
    """

    definition = models.ForeignKey(
        CouponDefinition,
        on_delete=models.PROTECT,
        related_name="issued",
        verbose_name=_("coupon definition"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="coupons",
        verbose_name=_("customer"),
    )
    code = models.CharField(_("code"), max_length=CODE_LENGTH, unique=True)
    #: "staff", "api" or "journey:<slug>".
    source = models.CharField(_("source"), max_length=80)
    #: What makes an issue unique within its source (a journey step and day, a
    #: request's idempotency key): issuing again with the same key is a no-op.
    source_key = models.CharField(_("source key"), max_length=128, default="")
    issued_at = models.DateTimeField(_("issued at"))
    expires_at = models.DateTimeField(_("expires at"))
    redeemed_order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("redeemed by order"),
    )
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("issued coupon")
        verbose_name_plural = _("issued coupons")
        indexes = [
            models.Index(fields=["customer", "-issued_at"], name="coupon_customer_idx"),
            models.Index(fields=["definition", "source"], name="coupon_source_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "customer", "source", "source_key"],
                name="coupon_issued_once",
                violation_error_message=_("This coupon is already issued."),
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ProductPair(models.Model):
    """Customers who bought ``antecedent`` also bought ``consequent``: support
    (share of buyers who bought both), confidence (of the buyers of A, the
    share who bought B) and lift (confidence over B's share of buyers)."""

    antecedent = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="+", verbose_name=_("bought")
    )
    consequent = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("also bought"),
    )
    together = models.PositiveIntegerField(_("customers who bought both"))
    support = models.FloatField(_("support"))
    confidence = models.FloatField(_("confidence"))
    lift = models.FloatField(_("lift"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("product pair")
        verbose_name_plural = _("product pairs")
        indexes = [
            models.Index(fields=["antecedent", "-confidence"], name="pair_from_idx")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["antecedent", "consequent"], name="pair_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.antecedent_id} → {self.consequent_id}"


class PairsComputation(models.Model):
    """The last computation of the product pairs (one row): what the orders
    looked like when it read them (``fingerprint``), so that a computation
    after a scoring run is skipped while no purchase changed."""

    fingerprint = models.CharField(_("orders fingerprint"), max_length=255)
    customers = models.PositiveIntegerField(_("customers who bought"))
    pairs = models.PositiveIntegerField(_("pairs"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("product pairs computation")
        verbose_name_plural = _("product pairs computations")

    def __str__(self) -> str:
        return f"{self.pairs} pairs, {self.computed_at:%Y-%m-%d %H:%M}"
