"""Early warnings about customers who may be leaving, and the care tasks they
open.

A :class:`ChurnWarning` gathers every signal a customer shows while it is
open (one open warning per customer, enforced by the database); evaluating
the signals again adds new ones to it instead of opening another. Each
warning opens one :class:`CareTask` for a person. :class:`WarningRun` records
each evaluation (by as-of date), :class:`CareSettings` the thresholds (one
row) and :class:`CareScript` the suggested words per signal, in both
languages.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.care.choices import (
    ChecklistItem,
    ChecklistStatus,
    LeaveReason,
    Outcome,
    Priority,
    Remedy,
    Signal,
    TaskStatus,
    WarningStatus,
)
from guanxi.care.words import FOLLOW_UP_SCRIPT, RECONNECT_SCRIPT
from guanxi.core.fields import EncryptedNoteField
from guanxi.customers.models import Customer
from guanxi.insights.choices import Quadrant

#: The thresholds that can differ per value quadrant (the others are global).
THRESHOLD_FIELDS = (
    "no_purchase_days",
    "rhythm_factor",
    "p_alive_below",
    "quiet_days",
    "active_window_days",
    "drop_ratio",
    "complaints_per_month_above",
    "negative_from",
    "churn_risk_from",
)


class CareSettings(models.Model):
    """The thresholds of the warning signals (one row, id 1).

    Defaults from the seed handbook (000, 6.1 and 2.4): no purchase for 30
    days, no interaction for 7 days, more than 3 complaints a month, negative
    feedback; check whether the customer came back 7 days after contact.
    """

    no_purchase_days = models.PositiveSmallIntegerField(
        _("no purchase for (days)"), default=30
    )
    rhythm_factor = models.FloatField(
        _("days since last purchase above this many usual gaps"), default=3.0
    )
    p_alive_below = models.FloatField(_("P(alive) below"), default=0.3)
    quiet_days = models.PositiveSmallIntegerField(
        _("no interaction for (days)"), default=7
    )
    active_window_days = models.PositiveSmallIntegerField(
        _("active: an interaction in the days before that"), default=30
    )
    complaints_per_month_above = models.PositiveSmallIntegerField(
        _("complaints in a calendar month above"), default=3
    )
    negative_from = models.FloatField(
        _("negative feedback: probability from"), default=0.6
    )
    churn_risk_from = models.FloatField(_("churn risk from"), default=0.7)
    task_due_days = models.PositiveSmallIntegerField(
        _("task due after (days)"), default=1
    )
    check_back_days = models.PositiveSmallIntegerField(
        _("check for a purchase after contact (days)"), default=7
    )
    #: Week-on-week: this week's activity below ratio × last week's (no seed
    #: figure: half).
    drop_ratio = models.FloatField(
        _("interactions this week below this share of the week before"), default=0.5
    )
    #: Contact steps before a customer who does not come back is lapsed.
    plan_steps = models.PositiveSmallIntegerField(_("steps of the plan"), default=2)
    #: The words of step 2 (the offer); steps 3–5 have their own, and a step
    #: whose words are blank uses the nearest earlier step's.
    follow_up_zh = models.TextField(
        _("script of step 2 (Chinese)"), default=FOLLOW_UP_SCRIPT[0]
    )
    follow_up_en = models.TextField(
        _("script of step 2 (English)"), default=FOLLOW_UP_SCRIPT[1]
    )
    step3_zh = models.TextField(
        _("script of step 3 (Chinese)"), blank=True, default=RECONNECT_SCRIPT[0]
    )
    step3_en = models.TextField(
        _("script of step 3 (English)"), blank=True, default=RECONNECT_SCRIPT[1]
    )
    step4_zh = models.TextField(_("script of step 4 (Chinese)"), blank=True, default="")
    step4_en = models.TextField(_("script of step 4 (English)"), blank=True, default="")
    step5_zh = models.TextField(_("script of step 5 (Chinese)"), blank=True, default="")
    step5_en = models.TextField(_("script of step 5 (English)"), blank=True, default="")

    class Meta:
        verbose_name = _("care settings")
        verbose_name_plural = _("care settings")

    def __str__(self) -> str:
        return str(_("care settings"))


class QuadrantThresholds(models.Model):
    """One value quadrant's own thresholds; a blank field takes the global
    one (:class:`CareSettings`). Every scored customer has exactly one
    quadrant, so exactly one row applies."""

    quadrant = models.CharField(
        _("quadrant"), max_length=12, choices=Quadrant.choices, unique=True
    )
    no_purchase_days = models.PositiveSmallIntegerField(null=True, blank=True)
    rhythm_factor = models.FloatField(null=True, blank=True)
    p_alive_below = models.FloatField(null=True, blank=True)
    quiet_days = models.PositiveSmallIntegerField(null=True, blank=True)
    active_window_days = models.PositiveSmallIntegerField(null=True, blank=True)
    drop_ratio = models.FloatField(null=True, blank=True)
    complaints_per_month_above = models.PositiveSmallIntegerField(null=True, blank=True)
    negative_from = models.FloatField(null=True, blank=True)
    churn_risk_from = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["quadrant"]
        verbose_name = _("quadrant thresholds")
        verbose_name_plural = _("quadrant thresholds")

    def __str__(self) -> str:
        return self.quadrant


class CareSettingsChange(models.Model):
    """Who changed the care settings, when, and which values (old, new)."""

    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    #: ``{"no_purchase_days": [30, 20], "star.no_purchase_days": [null, 14]}``
    changes = models.JSONField(_("changes"), default=dict)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("care settings change")
        verbose_name_plural = _("care settings changes")

    def __str__(self) -> str:
        return f"{self.changed_at:%Y-%m-%d %H:%M}"


class WarningRun(models.Model):
    """One evaluation of the warning signals as of a date (its counts)."""

    as_of = models.DateField(_("as of"), unique=True)
    opened = models.PositiveIntegerField(_("opened"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    closed = models.PositiveIntegerField(_("closed"), default=0)
    seconds = models.FloatField(_("seconds"), default=0.0)
    finished_at = models.DateTimeField(_("finished"), auto_now=True)

    class Meta:
        ordering = ["-as_of"]
        verbose_name = _("warning run")
        verbose_name_plural = _("warning runs")

    def __str__(self) -> str:
        return str(self.as_of)


class ChurnWarning(models.Model):
    """A customer who may be leaving: the signals seen, open until they come
    back (won back), are given up (lapsed) or someone closes it.

    ``signals`` maps a :class:`~guanxi.care.choices.Signal` to its details as
    first seen, with the as-of date it fired (``{"no_purchase": {"as_of":
    "2026-11-30", "days": 30}}``).
    """

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="churn_warnings",
        verbose_name=_("customer"),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=WarningStatus.choices,
        default=WarningStatus.OPEN,
    )
    signals = models.JSONField(_("signals"), default=dict)
    #: The evaluation that opened it, and the latest that added a signal.
    opened_as_of = models.DateField(_("opened as of"))
    as_of = models.DateField(_("as of"))
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(status=WarningStatus.OPEN),
                name="warning_one_open_per_customer",
                violation_error_message=_("This customer already has an open warning."),
            )
        ]
        indexes = [
            models.Index(fields=["status", "customer"], name="warning_status_idx")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.status} @ {self.opened_as_of}"

    def signal_keys(self) -> list[Signal]:
        """The signals in the order that names the main reason."""
        return [s for s in Signal if s.value in self.signals]


class CareScript(models.Model):
    """What to say for a signal, in both languages (editable; the defaults
    are the seed handbook's empathetic, non-sales wording)."""

    signal = models.CharField(
        _("signal"), max_length=20, choices=Signal.choices, unique=True
    )
    text_zh = models.TextField(_("script (Chinese)"))
    text_en = models.TextField(_("script (English)"))

    class Meta:
        ordering = ["signal"]
        verbose_name = _("care script")
        verbose_name_plural = _("care scripts")

    def __str__(self) -> str:
        return self.signal


class CareTask(models.Model):
    """A person's task to contact a warned customer, and how it ended."""

    #: The warning the task is for; none for a journey's task.
    warning = models.ForeignKey(
        ChurnWarning,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("warning"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="care_tasks",
        verbose_name=_("customer"),
        db_index=False,  # care_task_customer_idx
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="care_tasks",
        verbose_name=_("owner"),
        db_index=False,  # care_task_owner_idx
    )
    #: The step of the warning's plan (1: the first contact; each check-back
    #: without a purchase opens the next step's task until the last).
    step = models.PositiveSmallIntegerField(_("step"), default=1)
    #: Given by round-robin to the service team (no account manager).
    round_robin = models.BooleanField(_("by round-robin"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    due_on = models.DateField(_("due"))
    remedy = models.CharField(
        _("suggested remedy"), max_length=16, choices=Remedy.choices, blank=True
    )
    #: What to do, for a task a journey made (a warning's task has its
    #: signal's script instead).
    instructions = models.TextField(
        _("instructions"), blank=True, default="", db_default=""
    )
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, blank=True, default=""
    )
    leave_reason = models.CharField(
        _("reason for leaving"),
        max_length=12,
        choices=LeaveReason.choices,
        blank=True,
        default="",
    )
    remedy_offered = models.CharField(
        _("remedy offered"),
        max_length=16,
        choices=Remedy.choices,
        blank=True,
        default="",
    )
    # Encrypted at rest: what was said on the call holds personal data.
    note = EncryptedNoteField(_("note"), default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
        db_index=False,
    )

    class Meta:
        ordering = ["status", "priority", "due_on", "id"]
        verbose_name = _("care task")
        verbose_name_plural = _("care tasks")
        indexes = [
            models.Index(
                fields=["owner", "status", "due_on"], name="care_task_owner_idx"
            ),
            models.Index(fields=["customer", "status"], name="care_task_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.status} due {self.due_on}"


class ChecklistTask(models.Model):
    """One period's recurring checklist item for a person (the seed
    handbook's appendix 1), made once per person, item and period."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="care_checklist",
        verbose_name=_("owner"),
        db_index=False,  # checklist_one_per_period
    )
    item = models.CharField(_("item"), max_length=20, choices=ChecklistItem.choices)
    period_start = models.DateField(_("period starts"))
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=ChecklistStatus.choices,
        default=ChecklistStatus.OPEN,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["period_start", "item", "id"]
        verbose_name = _("checklist task")
        verbose_name_plural = _("checklist tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "item", "period_start"],
                name="checklist_one_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner_id}: {self.item} @ {self.period_start}"


class CareDigest(models.Model):
    """The daily digest e-mail of one person and day: claimed before sending,
    so each person gets at most one a day."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("owner"),
        db_index=False,  # digest_one_per_day
    )
    day = models.DateField(_("day"))
    tasks = models.PositiveIntegerField(_("tasks"), default=0)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        ordering = ["-day", "owner"]
        verbose_name = _("care digest")
        verbose_name_plural = _("care digests")
        constraints = [
            models.UniqueConstraint(fields=["owner", "day"], name="digest_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} @ {self.day}"


class DigestOptOut(models.Model):
    """A person who turned their daily digest e-mail off (no row: it is on).
    Written only by :func:`guanxi.care.digest.digest_choose`."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("owner"),
    )
    since = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("digest turned off")
        verbose_name_plural = _("digests turned off")

    def __str__(self) -> str:
        return f"{self.owner_id} (off since {self.since:%Y-%m-%d})"
