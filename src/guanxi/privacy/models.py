"""Data-subject requests, erasures and the erased contacts kept out."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.privacy.choices import (
    ContactKind,
    ErasureCause,
    RequestKind,
    RequestStatus,
)


class DataRequest(models.Model):
    """A person's request about their data: what, for which customer, by
    when. The customer by number, not a foreign key: the request outlives an
    erasure. Holds no personal value (who asked is the customer)."""

    kind = models.CharField(_("request"), max_length=16, choices=RequestKind.choices)
    customer_id = models.BigIntegerField(_("customer"))
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=RequestStatus.choices,
        default=RequestStatus.OPEN,
    )
    received_on = models.DateField(_("received"), default=timezone.localdate)
    due_on = models.DateField(_("due"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        ordering = ["status", "due_on", "id"]
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        indexes = [
            models.Index(fields=["status", "due_on"], name="datarequest_due_idx"),
            models.Index(fields=["customer_id"], name="datarequest_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"


class Erasure(models.Model):
    """The record of one erasure: which customer number went, the tombstone
    that holds their orders now, and the counts. Nothing personal."""

    customer_id = models.BigIntegerField(_("customer"), unique=True)
    tombstone_id = models.BigIntegerField(_("tombstone customer"))
    orders_pseudonymised = models.PositiveIntegerField(_("orders pseudonymised"))
    rows_deleted = models.PositiveIntegerField(_("rows deleted"))
    cause = models.CharField(_("cause"), max_length=12, choices=ErasureCause.choices)
    request = models.ForeignKey(
        DataRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="erasures",
        verbose_name=_("request"),
    )
    erased_at = models.DateTimeField(_("erased"), default=timezone.now)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("erased by"),
    )

    class Meta:
        ordering = ["-erased_at", "-id"]
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")

    def __str__(self) -> str:
        return f"#{self.customer_id}"


class ErasedContact(models.Model):
    """A phone number or e-mail address of an erased person, known only by
    its keyed hash (the customers' blind index: HMAC-SHA256 with the
    blind-index key of the day, whose id ``key_id`` names), so that an import
    or an API create does not bring the person back. The hash cannot be made
    again under a new key (the value is gone): the key stays, retired, as long
    as a row names it."""

    kind = models.CharField(_("kind"), max_length=8, choices=ContactKind.choices)
    digest = models.CharField(_("keyed hash"), max_length=64)
    key_id = models.CharField(_("blind-index key"), max_length=16)
    erased_at = models.DateTimeField(_("erased"), default=timezone.now)

    class Meta:
        verbose_name = _("erased contact")
        verbose_name_plural = _("erased contacts")
        indexes = [models.Index(fields=["key_id"], name="erasedcontact_key_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "digest"],
                name="erasedcontact_unique",
                violation_error_message=_("This contact is erased already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.digest[:8]}"


class RetentionRun(models.Model):
    """One run of the retention purge: what it found per category and, unless
    a dry run, what went."""

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    dry_run = models.BooleanField(_("dry run"), default=False)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")

    def __str__(self) -> str:
        return f"#{self.pk}"
