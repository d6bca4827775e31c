"""Products, orders and order lines."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.commerce.choices import OrderStatus
from guanxi.core.fields import AmountField
from guanxi.customers.models import Customer


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=64, blank=True, default="")

    class Meta:
        ordering = ["sku"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Order(models.Model):
    """One purchase, as the source system (POS, e-shop) recorded it."""

    source = models.CharField(_("source"), max_length=32, default="manual")
    external_id = models.CharField(_("external id"), max_length=128)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="orders",
        verbose_name=_("customer"),
        # order_customer_idx (customer, -ordered_at) serves every lookup by
        # customer; a second index on the column alone only slows inserts.
        db_index=False,
    )
    ordered_at = models.DateTimeField(_("ordered at"))
    amount = AmountField(
        _("amount"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    store = models.CharField(_("store"), max_length=64, blank=True, default="")
    channel = models.CharField(_("channel"), max_length=32, blank=True, default="")
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=OrderStatus.choices,
        default=OrderStatus.PAID,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-ordered_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["customer", "-ordered_at"], name="order_customer_idx"),
            models.Index(fields=["-ordered_at", "-id"], name="order_recent_idx"),
            # The stores to choose from: a walk over this index, one step per
            # store (commerce.selectors.order_stores), not a scan of the orders.
            models.Index(fields=["store"], name="order_store_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                name="order_source_unique",
                violation_error_message=_("This order is already recorded."),
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0),
                name="order_amount_not_negative",
                violation_error_message=_("amount must not be negative"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        related_name="lines",
        verbose_name=_("product"),
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = AmountField(_("unit price"), max_digits=12, decimal_places=2)
    amount = AmountField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"


class OrdersRevision(models.Model):
    """The orders' revision: a number that changes with every committed write
    of orders and order lines (new orders and lines, a status change, an
    erasure moving orders, an edit or deletion in the admin), so that what
    depends on the orders as a whole (the co-purchase pairs) sees whether
    anything changed by reading a few rows instead of every order.

    The number is this one row's ``revision`` plus the count of
    :class:`OrdersRevisionBump` rows: writers only add bump rows (they never
    wait for each other), and a compaction folds the bumps into this row
    (decision 0009)."""

    revision = models.PositiveBigIntegerField(_("revision"), default=0)

    class Meta:
        verbose_name = _("orders revision")
        verbose_name_plural = _("orders revisions")

    def __str__(self) -> str:
        return str(self.revision)


class OrdersRevisionBump(models.Model):
    """One raise of the orders' revision not yet folded into
    :class:`OrdersRevision`: a writer of orders inserts one in the transaction
    of its write, so it counts exactly when the write commits. Its id orders
    nothing (ids are handed out before commit, in any order); only the count
    of rows matters."""

    class Meta:
        verbose_name = _("orders revision bump")
        verbose_name_plural = _("orders revision bumps")

    def __str__(self) -> str:
        return str(self.pk)
