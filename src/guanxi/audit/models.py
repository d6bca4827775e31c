"""The audit log: who did what to which record, and when. Append-only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.audit.choices import AuditAction
from guanxi.core.appendonly import (
    AppendOnlyModel,
    AppendOnlyQuerySet,
    AppendOnlyRefused,
)


class AuditRefused(AppendOnlyRefused):
    """An attempt to change or delete an audit event (the log only grows)."""


class AuditEventQuerySet(AppendOnlyQuerySet["AuditEvent"]):
    pass


class AuditEvent(AppendOnlyModel):
    """One thing a person did that the business must be able to show later.

    Holds no personal value of a customer: the customer by number, the object
    by type and id, and ``details`` of counts, codes and names of fields or
    filters (``audit.services.record`` refuses anything else).

    Never updated or deleted: by the application (``save`` of a stored row,
    ``delete`` and the queryset's ``update``/``delete`` raise
    :class:`AuditRefused`) and, on PostgreSQL, by a trigger (migration 0002):
    ``guanxi.core.appendonly``, shared with the consent ledger.
    """

    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,  # SET_NULL would be an update of the log
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
        db_index=False,  # audit_actor_idx starts with it
    )
    #: The username at the time (a user renamed later is still found).
    actor_label = models.CharField(_("who (username)"), max_length=150, blank=True)
    #: The role the person worked in at the time ("" for the system).
    role = models.CharField(_("role"), max_length=20, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    #: The customer by number, not a foreign key: the log outlives an erased
    #: customer and must not stop their erasure.
    customer_id = models.BigIntegerField(_("customer"), null=True, blank=True)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    append_only_error = AuditRefused
    append_only_message = "audit events are append-only"

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at_idx"),
            models.Index(fields=["actor", "-at", "-id"], name="audit_actor_idx"),
            models.Index(
                fields=["customer_id", "-at", "-id"], name="audit_customer_idx"
            ),
            models.Index(fields=["action", "-at", "-id"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action}"
