"""Journeys: a trigger and steps (versioned, immutable definitions), each
customer's enrolment in one version and each step it ran.

Two database constraints make concurrent schedulers enrol a customer once:
at most one active enrolment per (journey, customer), and one enrolment per
(journey, customer, entry key) — the key says which entry this is under the
journey's entry rule (``once``, the period, or the occurrence). Enrolments
are inserted with ``ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.customers.models import Customer
from guanxi.journeys.choices import (
    EnrolmentState,
    EntryRule,
    ExitReason,
    JourneyState,
    Period,
    StepOutcome,
)


class VersionRefused(Exception):
    """A journey version is never changed or deleted once written."""


class Journey(models.Model):
    """A journey: its name, whether it runs, who enters how often, the share
    held out, and its current definition (a :class:`JourneyVersion`)."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    state = models.CharField(
        _("state"), max_length=4, choices=JourneyState.choices, default=JourneyState.OFF
    )
    holdout_percent = models.PositiveSmallIntegerField(
        _("holdout %"), default=10, validators=[MaxValueValidator(50)]
    )
    entry_rule = models.CharField(
        _("entry rule"),
        max_length=12,
        choices=EntryRule.choices,
        default=EntryRule.ONCE,
    )
    entry_period = models.CharField(
        _("entry period"), max_length=8, choices=Period.choices, default=Period.YEAR
    )
    exit_on_purchase = models.BooleanField(_("leave on a purchase"), default=False)
    #: When it was last switched on: event triggers read in a run count from
    #: here, so switching a journey on does not enrol the whole history.
    enabled_at = models.DateTimeField(_("switched on"), null=True, blank=True)
    current_version = models.ForeignKey(
        "JourneyVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current version"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("journey")
        verbose_name_plural = _("journeys")

    def __str__(self) -> str:
        return self.slug


class JourneyVersion(models.Model):
    """One definition of a journey (trigger and steps), never changed:
    editing a journey writes a new version, and enrolments stay on theirs."""

    journey = models.ForeignKey(
        Journey,
        on_delete=models.CASCADE,
        related_name="versions",
        verbose_name=_("journey"),
    )
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
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
        ordering = ["journey", "-number"]
        verbose_name = _("journey version")
        verbose_name_plural = _("journey versions")
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "number"],
                name="journey_version_unique",
                violation_error_message=_("This journey already has that version."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.journey_id} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or kwargs.get("force_update"):
            raise VersionRefused("a journey version is never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise VersionRefused("a journey version is never deleted")


class Enrolment(models.Model):
    """One customer's way through one version of a journey."""

    journey = models.ForeignKey(
        Journey,
        on_delete=models.CASCADE,
        related_name="enrolments",
        verbose_name=_("journey"),
        db_index=False,  # enrolment_due_idx and the constraints start with it
    )
    version = models.ForeignKey(
        JourneyVersion,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("version"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="journey_enrolments",
        verbose_name=_("customer"),
        db_index=False,  # enrolment_customer_idx starts with it
    )
    #: Which entry this is under the entry rule: ``once``, the period
    #: (``2026``, ``2026-12``, ``2026-W49``) or the occurrence (a day).
    entry_key = models.CharField(_("entry key"), max_length=24)
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=EnrolmentState.choices,
        default=EnrolmentState.ACTIVE,
    )
    exit_reason = models.CharField(
        _("reason for leaving"),
        max_length=12,
        choices=ExitReason.choices,
        blank=True,
        default="",
    )
    holdout = models.BooleanField(_("held out"), default=False)
    #: The step the customer is at ("" once finished).
    step = models.CharField(_("step"), max_length=40, blank=True, default="")
    #: When the customer reached the current step (a wait for a purchase
    #: counts purchases from here).
    step_at = models.DateTimeField(_("at the step since"), null=True, blank=True)
    #: When the current step runs (the end of a wait).
    next_due_at = models.DateTimeField(_("next due"), null=True, blank=True)
    entered_at = models.DateTimeField(_("entered"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    #: What a step hands to later ones: a coupon's ``coupon_code``, a
    #: recommended ``product`` (template values of the messages it sends).
    values = models.JSONField(_("values"), default=dict, blank=True)

    class Meta:
        ordering = ["-entered_at", "-id"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        indexes = [
            models.Index(
                fields=["journey", "state", "step", "next_due_at"],
                name="enrolment_due_idx",
            ),
            models.Index(fields=["customer", "state"], name="enrolment_customer_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "customer"],
                condition=models.Q(state=EnrolmentState.ACTIVE),
                name="enrolment_one_active",
                violation_error_message=_("The customer is in this journey already."),
            ),
            models.UniqueConstraint(
                fields=["journey", "customer", "entry_key"],
                name="enrolment_once_per_key",
                violation_error_message=_(
                    "The customer entered this journey for this key already."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.journey_id}:{self.customer_id}:{self.entry_key}"


class StepRun(models.Model):
    """A step one enrolment ran, and what came of it (at most once per step:
    definitions have no loops)."""

    enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.CASCADE,
        related_name="step_runs",
        verbose_name=_("enrolment"),
        db_index=False,  # step_run_once starts with it
    )
    step = models.CharField(_("step"), max_length=40)
    outcome = models.CharField(_("outcome"), max_length=12, choices=StepOutcome.choices)
    #: A short reason in the business's words (a template's name, why a
    #: message could not be queued); never a personal value.
    detail = models.CharField(_("detail"), max_length=200, blank=True, default="")
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("step run")
        verbose_name_plural = _("step runs")
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "step"],
                name="step_run_once",
                violation_error_message=_("This step ran for the enrolment already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id}:{self.step}={self.outcome}"


class PendingPurchases(models.Model):
    """One write of orders whose work in the journeys (purchase triggers,
    exits on purchase, waits for one) the task worker has still to do:
    written in the orders' own transaction, deleted in the one that does
    the work (see :mod:`guanxi.journeys.pending`)."""

    #: When the orders were written: the moment the work is done for.
    at = models.DateTimeField(_("when"), default=timezone.now)
    #: The customers' ids, ascending, runs of consecutive ids as ``a-b``,
    #: comma-separated (empty with ``everyone``).
    customer_ids = models.TextField(_("buyers' ids"), blank=True, default="")
    #: Every customer's purchases were refreshed (a repair): the scheduler's
    #: pass over everyone instead of a list.
    everyone = models.BooleanField(_("every customer"), default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("pending purchases")
        verbose_name_plural = _("pending purchases")

    def __str__(self) -> str:
        return f"pending purchases {self.pk}"
