"""The journeys vocabulary: states, entry rules, triggers, step types and
what became of a step."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class JourneyState(models.TextChoices):
    OFF = "off", pgettext_lazy("journey state", "Off")
    ON = "on", pgettext_lazy("journey state", "On")


class EntryRule(models.TextChoices):
    """How often one customer may enter one journey."""

    ONCE = "once", _("Once ever")
    PER_PERIOD = "per_period", _("Once per period")
    REENTRY = "reentry", _("Again after leaving")


class Period(models.TextChoices):
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class EnrolmentState(models.TextChoices):
    ACTIVE = "active", _("In the journey")
    COMPLETED = "completed", _("Completed")
    EXITED = "exited", _("Left")


class ExitReason(models.TextChoices):
    PURCHASE = "purchase", _("Made a purchase")
    EXIT_STEP = "exit_step", _("Reached an exit step")


class StepOutcome(models.TextChoices):
    ENTERED = "entered", _("Entered")
    WAITED = "waited", _("Waited")
    EVENT = "event", _("The awaited event happened")
    TIMED_OUT = "timed_out", _("Waited until the timeout")
    YES = "yes", _("Condition met")
    NO = "no", _("Condition not met")
    QUEUED = "queued", _("Message queued")
    TASK = "task", _("Task created")
    TAGGED = "tagged", _("Tag added")
    UNTAGGED = "untagged", _("Tag removed")
    COUPON = "coupon", _("Coupon issued")
    RECOMMENDED = "recommended", _("Product picked")
    NO_PRODUCT = "no_product", _("No product to recommend")
    SURVEY = "survey", _("Survey sent")
    HELD_OUT = "held_out", _("Held out: not sent")
    FAILED = "failed", _("Failed")
    EXITED = "exited", _("Left the journey")


#: Events a journey can be triggered by.
class TriggerEvent(models.TextChoices):
    CUSTOMER_CREATED = "customer_created", _("Customer created")
    FIRST_PURCHASE = "first_purchase", _("First purchase")
    PURCHASE = "purchase", _("Purchase")
    STAGE_CHANGE = "stage_change", _("Lifecycle stage changed")
    SEGMENT_ENTRY = "segment_entry", _("Entered a segment")
    SEGMENT_EXIT = "segment_exit", _("Left a segment")
    WARNING_OPENED = "warning_opened", _("Warning opened")
    TASK_CLOSED = "task_closed", _("Care task closed")


#: Date fields a journey can be triggered by.
class TriggerDate(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday month")
    FIRST_PURCHASE_ANNIVERSARY = (
        "first_purchase_anniversary",
        _("Anniversary of the first purchase"),
    )
    DAYS_AFTER_LAST_PURCHASE = (
        "days_after_last_purchase",
        _("Days after the last purchase"),
    )
    EXPECTED_NEXT_PURCHASE = "expected_next_purchase", _("Expected next purchase")
    REPURCHASE_DUE = (
        "repurchase_due",
        _("Expected next purchase, else days after the last purchase"),
    )
