"""The care vocabulary: warning signals and statuses, task outcomes, reasons
for leaving and remedies."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Signal(models.TextChoices):
    """Why a customer is warned about (seed playbook 000, 6.1)."""

    COMPLAINTS = "complaints", _("Many complaints this month")
    NEGATIVE_FEEDBACK = "negative_feedback", _("Negative feedback")
    NO_PURCHASE = "no_purchase", _("No purchase for a while")
    PAST_RHYTHM = "past_rhythm", _("Well past their usual rhythm")
    LOW_P_ALIVE = "low_p_alive", _("Likely no longer active")
    QUIET = "quiet", _("Interactions dropped")
    ACTIVITY_DROP = "activity_drop", _("Fewer interactions than last week")
    CHURN_RISK = "churn_risk", _("High churn risk")


#: The order in which signals name a warning's main reason (its script).
SIGNAL_ORDER = tuple(Signal)


class WarningStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON_BACK = "won_back", _("Won back")
    LAPSED = "lapsed", _("Lapsed")
    CLOSED = "closed", _("Closed")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    #: The customer came back before anyone contacted them.
    OBSOLETE = "obsolete", _("No longer needed")


class Outcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NOT_REACHED = "not_reached", _("Not reached")


class LeaveReason(models.TextChoices):
    PRICE = "price", _("Price")
    SERVICE = "service", _("Service")
    PRODUCT = "product", _("Product")
    COMPETITOR = "competitor", _("Competitor")
    MOVED = "moved", _("Moved away")
    OTHER = "other", _("Other")


class Remedy(models.TextChoices):
    COUPON = "coupon", _("Coupon")
    FREE_UPGRADE = "free_upgrade", _("Free upgrade")
    MANAGER_CALL = "manager_call", _("Call from the account manager")
    NONE = "none", _("None")


class Priority(models.IntegerChoices):
    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low")


class Period(models.TextChoices):
    DAY = "day", _("Daily")
    WEEK = "week", _("Weekly")
    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")


class ChecklistItem(models.TextChoices):
    """The seed handbook's maintenance checklist (appendix 1), as recurring
    tasks; which role gets which is ``Policy.care_checklist``."""

    REVIEW_WARNINGS = "review_warnings", _("Review the early warnings in the CRM")
    CARE_MESSAGES = (
        "care_messages",
        _("Send personal care messages (birthday and holiday greetings)"),
    )
    REVIEW_METRICS = (
        "review_metrics",
        _("Analyse repurchase, churn and LTV, and adjust the strategy"),
    )
    CUSTOMER_EVENT = (
        "customer_event",
        _("Plan a customer event (an offline salon or an online webinar)"),
    )


#: How often each checklist item recurs.
CHECKLIST_PERIOD: dict[str, Period] = {
    ChecklistItem.REVIEW_WARNINGS: Period.DAY,
    ChecklistItem.CARE_MESSAGES: Period.WEEK,
    ChecklistItem.REVIEW_METRICS: Period.MONTH,
    ChecklistItem.CUSTOMER_EVENT: Period.QUARTER,
}


class ChecklistStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    #: Still open when the next period's task was made.
    MISSED = "missed", _("Missed")
