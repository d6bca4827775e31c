"""The consent ledger, the outbox and what hangs off them.

The ledger is append-only: a change of mind is a new row, and the current
consent is the newest row of its customer × purpose × channel. The outbox holds
one row per intent to send (one per cause, customer and channel); a worker
claims rows with a lease and records how each ended.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.appendonly import (
    AppendOnlyModel,
    AppendOnlyQuerySet,
    AppendOnlyRefused,
)
from guanxi.core.fields import EncryptedTextField
from guanxi.customers.models import Customer
from guanxi.messaging.choices import (
    ConsentChannel,
    ConsentSource,
    MessageChannel,
    MessageStatus,
    Purpose,
    SuppressReason,
)


class LedgerRefused(AppendOnlyRefused):
    """An attempt to change or delete a consent record (the ledger only grows)."""


class ConsentQuerySet(AppendOnlyQuerySet["ConsentRecord"]):
    pass


class ConsentRecord(AppendOnlyModel):
    """One statement of consent (granted or withdrawn) with its evidence.

    Never updated or deleted: by the application (``save`` of a stored row,
    ``delete`` and the queryset's ``update``/``delete`` raise
    :class:`LedgerRefused`) and, on PostgreSQL, by a trigger (migration 0002):
    ``guanxi.core.appendonly``, shared with the audit log.
    """

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="consent_records",
        verbose_name=_("customer"),
        db_index=False,  # consent_current_idx starts with it
    )
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    channel = models.CharField(
        _("channel"), max_length=8, choices=ConsentChannel.choices
    )
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=12, choices=ConsentSource.choices)
    evidence = models.CharField(
        _("evidence"),
        max_length=200,
        blank=True,
        default="",
        help_text=_("What shows it: an import batch, a form, a request id."),
    )
    notice_version = models.CharField(_("notice version"), max_length=32)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,  # SET_NULL would be an update of the ledger
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    objects = ConsentQuerySet.as_manager()

    append_only_error = LedgerRefused
    append_only_message = "consent records are append-only"

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        indexes = [
            models.Index(
                fields=["customer", "purpose", "channel", "-recorded_at", "-id"],
                name="consent_current_idx",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class Broadcast(models.Model):
    """A cause of messages: one send to an audience (``guanxi send``), with
    the template every message of it is rendered from at send time."""

    channel = models.CharField(
        _("channel"), max_length=8, choices=MessageChannel.choices
    )
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    subject = models.TextField(_("subject template"), blank=True, default="")
    body = models.TextField(_("body template"))
    # A stored template's two versions: ``subject``/``body`` in ``language``
    # (the business's when the template has it), the other in
    # ``subject_other``/``body_other`` (empty: the template has one). Each
    # message picks the customer's when it is rendered, so queueing stays
    # one INSERT … SELECT. A template file has one text of no known language.
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        default="",
        help_text=_("The language of the subject and body; empty: not known."),
    )
    subject_other = models.TextField(
        _("subject template, other language"), blank=True, default=""
    )
    body_other = models.TextField(
        _("body template, other language"), blank=True, default=""
    )
    audience = models.CharField(_("audience"), max_length=200)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")

    def __str__(self) -> str:
        return f"broadcast:{self.pk}"


class Message(models.Model):
    """One intent to send a customer one message on one channel.

    ``status``: queued (waiting for ``next_attempt_at``), sending (claimed by a
    worker until ``lease_until``; a lapsed lease is claimed again), sent,
    failed, suppressed (``reason`` says why).
    """

    cause = models.CharField(_("cause"), max_length=64)
    broadcast = models.ForeignKey(
        Broadcast,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("broadcast"),
        db_index=False,  # message_broadcast_list_idx starts with it
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="messages",
        verbose_name=_("customer"),
        db_index=False,  # message_customer_idx starts with it
    )
    channel = models.CharField(
        _("channel"), max_length=8, choices=MessageChannel.choices
    )
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    idempotency_key = models.CharField(_("idempotency key"), max_length=40, unique=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=MessageStatus.choices,
        default=MessageStatus.QUEUED,
    )
    reason = models.CharField(
        _("reason"),
        max_length=24,
        choices=SuppressReason.choices,
        blank=True,
        default="",
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True, default="")
    last_error = models.CharField(
        _("last error"), max_length=200, blank=True, default=""
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    #: A personal link of this message (a survey invitation's signed link),
    #: rendered as ``{{ survey_url }}``; empty for a broadcast to everyone.
    link = models.CharField(
        _("personal link"), max_length=500, blank=True, default="", db_default=""
    )
    #: This customer's own template values (a journey's ``coupon_code``, a
    #: recommended ``product``); ``{}`` for most messages.
    template_values = models.JSONField(_("own template values"), default=dict)
    provider_id = models.CharField(
        _("provider's message id"),
        max_length=64,
        blank=True,
        default="",
        help_text=_("The SMS provider's or WeCom's id of the sent message."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        default="",
        help_text=_(
            "The language the message was rendered in (set when it is sent); "
            "empty: not sent yet, or a text of no known language."
        ),
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_due_idx"),
            models.Index(
                fields=["customer", "purpose", "sent_at"], name="message_customer_idx"
            ),
            # Delivery receipts find their message by the provider's id.
            models.Index(
                fields=["channel", "provider_id"], name="message_provider_idx"
            ),
            # The outbox lists newest first by id; filtered by status or by
            # broadcast it walks these instead of the whole table.
            models.Index(fields=["status", "-id"], name="message_status_list_idx"),
            models.Index(
                fields=["broadcast", "-id"], name="message_broadcast_list_idx"
            ),
            models.Index(fields=["created_at"], name="message_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["cause", "customer", "channel"],
                name="message_once_per_cause",
                violation_error_message=_(
                    "This cause already has a message for the customer on the channel."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class MessageEvent(models.Model):
    """Something that happened to a sent message: a delivery receipt
    (delivered, or not delivered with the provider's code), the first open and
    the first click of an e-mail, a bounce or a complaint reported by the mail
    provider, an unsubscribe from the message's link. One of each kind per
    message: a report pushed twice, a pixel loaded twice, is recorded once.
    Events hold no personal value (no address, no IP address, no user agent)."""

    class Kind(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        UNDELIVERED = "undelivered", _("Not delivered")
        OPENED = "opened", _("Opened")
        CLICKED = "clicked", _("Clicked")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Marked as spam")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    message = models.ForeignKey(
        Message,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("message"),
        db_index=False,  # message_event_once starts with it
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    code = models.CharField(_("code"), max_length=64, blank=True, default="")
    occurred_at = models.DateTimeField(_("occurred"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("message event")
        verbose_name_plural = _("message events")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "kind"],
                name="message_event_once",
                violation_error_message=_("This event is recorded already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_id}:{self.kind}"


class TrackedLink(models.Model):
    """A link target of a sent e-mail, kept here so the click link in the mail
    names it by number under a signature and never carries the URL: no open
    redirect. One row per distinct URL (``digest`` is its SHA-256)."""

    url = models.TextField(_("URL"))
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("tracked link")
        verbose_name_plural = _("tracked links")

    def __str__(self) -> str:
        return f"link:{self.pk}"


class SuppressedAddress(models.Model):
    """An address that failed permanently: nothing more is sent to it.
    Known by its blind index, never by its value."""

    channel = models.CharField(
        _("channel"), max_length=8, choices=MessageChannel.choices
    )
    address_index = models.CharField(_("address (blind index)"), max_length=64)
    code = models.CharField(_("answer"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "address_index"],
                name="suppressed_address_unique",
                violation_error_message=_("This address is suppressed already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.address_index[:8]}"


class CallTask(models.Model):
    """A phone message: a call for a person to make, with the script."""

    message = models.OneToOneField(
        Message,
        on_delete=models.PROTECT,
        related_name="call_task",
        verbose_name=_("message"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="call_tasks",
        verbose_name=_("customer"),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="call_tasks",
        verbose_name=_("assigned to"),
    )
    script = EncryptedTextField(_("script"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("call task")
        verbose_name_plural = _("call tasks")

    def __str__(self) -> str:
        return f"#{self.pk}"


class Template(models.Model):
    """A stored message template: one channel and purpose, its text in
    Chinese, in English or in both (see :mod:`guanxi.messaging.stored`).

    Written only by ``stored.template_save`` / ``template_delete``, which check
    that every part renders before anything is stored. A broadcast keeps its
    own copy of the text it was queued with, so editing or deleting a template
    never changes messages already queued.
    """

    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(
        _("channel"), max_length=8, choices=MessageChannel.choices
    )
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    subject_zh = models.CharField(
        _("subject (Chinese)"), max_length=400, blank=True, default=""
    )
    body_zh = models.TextField(_("body (Chinese)"), blank=True, default="")
    subject_en = models.CharField(
        _("subject (English)"), max_length=400, blank=True, default=""
    )
    body_en = models.TextField(_("body (English)"), blank=True, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                name="message_template_name_unique",
                violation_error_message=_("A template of that name already exists."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ChannelSetting(models.Model):
    """A channel's setting set on the admin page (``messages/channels/``),
    encrypted at rest. The environment's value, when set, wins
    (:mod:`guanxi.messaging.channel_settings`)."""

    name = models.CharField(_("setting"), max_length=64, unique=True)
    value = EncryptedTextField(_("value"))
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("channel setting")
        verbose_name_plural = _("channel settings")

    def __str__(self) -> str:
        return self.name  # never the value


class ChannelSettingChange(models.Model):
    """Who set or cleared which channel setting, and when; never the value."""

    class Action(models.TextChoices):
        SET = "set", _("set")
        CLEARED = "cleared", _("cleared")

    name = models.CharField(_("setting"), max_length=64)
    action = models.CharField(_("change"), max_length=8, choices=Action.choices)
    changed_at = models.DateTimeField(_("when"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("channel setting change")
        verbose_name_plural = _("channel setting changes")

    def __str__(self) -> str:
        return f"{self.name} {self.action}"
