"""Feedback tickets (complaints, suggestions, questions, praise) with their
thread and SLA clocks, and the settings the clocks run on.

A :class:`Ticket` belongs to one customer and holds personal data: its
``text`` and ``close_reason`` and the ``text`` of its :class:`TicketEntry`
rows are the customer's or staff's own words, encrypted at rest (no search
or filter by their value: the database sees ciphertext). An
:class:`Attachment`'s file name is encrypted the same way and its bytes are
encrypted on disk (:mod:`guanxi.feedback.files`). :class:`SlaRule`, :class:`FeedbackSettings` and
:class:`ClosingDay` hold none.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.core.fields import EncryptedNoteField
from guanxi.customers.models import Customer
from guanxi.feedback.choices import (
    AttachmentSource,
    Category,
    Channel,
    EntryKind,
    HoursMode,
    Priority,
    Source,
    Status,
)

#: Longest ticket text or reply (characters).
MAX_TEXT = 5000


class Ticket(models.Model):
    """One piece of feedback from a customer, worked to an end.

    The due times are computed when the ticket opens (``first_reply_due``,
    ``solve_due``); ``owner_warned_at``, ``lead_warned_at`` and
    ``notice_queued_at`` record that the escalation steps ran (each once);
    ``*_breached_at`` that a clock broke.
    """

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="tickets",
        verbose_name=_("customer"),
    )
    category = models.CharField(
        pgettext_lazy("ticket", "category"), max_length=12, choices=Category.choices
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    #: Encrypted at rest, like every free text about a customer.
    text = EncryptedNoteField(_("text"), default="")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    round_robin = models.BooleanField(default=False)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    #: The interaction it was opened from (one ticket per interaction).
    interaction_id = models.BigIntegerField(null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    opened_at = models.DateTimeField(pgettext_lazy("ticket", "opened"))
    first_reply_due = models.DateTimeField(_("first reply due"))
    solve_due = models.DateTimeField(_("solve due"))
    first_reply_at = models.DateTimeField(_("first reply"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    close_reason = EncryptedNoteField(_("reason"), default="")
    owner_warned_at = models.DateTimeField(null=True, blank=True)
    lead_warned_at = models.DateTimeField(null=True, blank=True)
    notice_queued_at = models.DateTimeField(null=True, blank=True)
    first_reply_breached_at = models.DateTimeField(null=True, blank=True)
    solve_breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # Not (status, …): most tickets of a busy inbox are open, and an
            # index led by status made SQLite sort every open ticket for a
            # page instead of walking ticket_opened_idx (bench_feedback.py).
            models.Index(fields=["solve_due"], name="ticket_solve_due_idx"),
            models.Index(fields=["owner", "status"], name="ticket_owner_idx"),
            models.Index(fields=["-opened_at", "-id"], name="ticket_opened_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class TicketEntry(models.Model):
    """One line of a ticket's thread: a reply to the customer, an internal
    note, the customer's own words, a status change, an escalation, a breach
    or a progress notice."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    text = EncryptedNoteField(_("text"), default="")
    from_status = models.CharField(max_length=16, blank=True, default="")
    to_status = models.CharField(max_length=16, blank=True, default="")
    created_at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket entry")
        verbose_name_plural = _("ticket entries")

    def __str__(self) -> str:
        return f"{self.kind} #{self.ticket_id}"


class SlaRule(models.Model):
    """Hours to the first reply and to a solution for a category and (blank:
    any) priority. Without a rule: 24 and 48 hours (seed handbook 000, 3.4:
    "24小时内回复，48小时内解决")."""

    category = models.CharField(
        pgettext_lazy("ticket", "category"), max_length=12, choices=Category.choices
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, blank=True, default=""
    )
    first_reply_hours = models.PositiveSmallIntegerField(_("first reply (hours)"))
    solve_hours = models.PositiveSmallIntegerField(_("solve (hours)"))

    class Meta:
        ordering = ["category", "priority"]
        verbose_name = _("SLA rule")
        verbose_name_plural = _("SLA rules")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "priority"],
                name="sla_rule_unique",
                violation_error_message=_("This category and priority has a rule."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.category}/{self.priority or '*'}"


class FeedbackSettings(models.Model):
    """How the clocks count (one row, id 1): calendar or business hours, the
    opening hours per weekday, the Chinese public-holiday calendar, how early
    a clock about to break is escalated, and the lead warned after the owner."""

    hours_mode = models.CharField(
        _("hours"), max_length=10, choices=HoursMode.choices, default=HoursMode.CALENDAR
    )
    #: ``{"0": ["09:00", "18:00"], …}`` Monday = "0"; a missing day is closed.
    opening_hours = models.JSONField(_("opening hours"), default=dict)
    china_holidays = models.BooleanField(
        _("Chinese public holidays and adjusted working days"), default=True
    )
    warn_before_hours = models.PositiveSmallIntegerField(
        _("escalate this many hours before a clock breaks"), default=4
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lead"),
    )

    class Meta:
        verbose_name = _("feedback settings")
        verbose_name_plural = _("feedback settings")

    def __str__(self) -> str:
        return str(_("feedback settings"))


class ClosingDay(models.Model):
    """A day the business is closed (its own, beyond public holidays)."""

    day = models.DateField(_("day"), unique=True)
    note = models.CharField(_("note"), max_length=100, blank=True, default="")

    class Meta:
        ordering = ["day"]
        verbose_name = _("closing day")
        verbose_name_plural = _("closing days")

    def __str__(self) -> str:
        return str(self.day)


class InboundMail(models.Model):
    """One e-mail received on the feedback address (the provider's signed
    webhook), kept once per message (``message_key``: a hash of its
    Message-ID, so a webhook retried opens nothing twice).

    From a known customer it opened a ticket or was added to one (``ticket``;
    no copy of the text here). From an unknown sender it waits in triage:
    its sender, subject and text are kept here, encrypted, and no customer
    is created.
    """

    class Outcome(models.TextChoices):
        OPENED = "opened", pgettext_lazy("inbound mail", "Ticket opened")
        APPENDED = "appended", pgettext_lazy("inbound mail", "Added to a ticket")
        TRIAGE = "triage", pgettext_lazy("inbound mail", "Triage")

    message_key = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(pgettext_lazy("inbound mail", "received"))
    outcome = models.CharField(
        pgettext_lazy("inbound mail", "outcome"),
        max_length=10,
        choices=Outcome.choices,
    )
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
    )
    sender = EncryptedNoteField(_("sender"), default="")
    subject = EncryptedNoteField(_("subject"), default="")
    text = EncryptedNoteField(_("text"), default="")

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        indexes = [
            models.Index(fields=["outcome", "-received_at"], name="inbound_mail_idx")
        ]

    def __str__(self) -> str:
        return f"inbound:{self.pk}"


class Attachment(models.Model):
    """A file on a ticket (optionally on one line of its thread).

    The bytes are stored encrypted under ``GUANXI_DATA_DIR/attachments/``
    by a random name (``stored_name``, relative to that folder); the name the
    file came with is cleaned and encrypted (it can hold a person's name).
    ``content_type`` is what the content is (magic bytes), never what the
    client or the name said; ``sha256`` is of the plain bytes, so the same
    file twice on one ticket is kept once.
    """

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="attachments"
    )
    entry = models.ForeignKey(
        TicketEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
        db_index=False,
    )
    name = EncryptedNoteField(pgettext_lazy("attachment", "file name"), default="")
    content_type = models.CharField(pgettext_lazy("attachment", "type"), max_length=40)
    size = models.PositiveIntegerField(pgettext_lazy("attachment", "size"))
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=80, unique=True)
    source = models.CharField(
        pgettext_lazy("attachment", "added by"),
        max_length=8,
        choices=AttachmentSource.choices,
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = pgettext_lazy("attachment", "attachment")
        verbose_name_plural = pgettext_lazy("attachment", "attachments")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "sha256"],
                name="attachment_once_per_ticket",
                violation_error_message=_("This file is already on the ticket."),
            )
        ]

    def __str__(self) -> str:
        return f"attachment:{self.pk}"
