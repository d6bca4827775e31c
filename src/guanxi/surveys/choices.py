"""The surveys' vocabulary: kinds, triggers, churn reasons, NPS groups."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SurveyKind(models.TextChoices):
    NPS = "nps", _("NPS")
    CSAT = "csat", _("CSAT")
    CHURN = "churn", _("Churn reason")
    NEEDS = "needs", _("Needs")


class Trigger(models.TextChoices):
    """What sent an invitation."""

    ORDER_DELIVERED = "order_delivered", _("Order delivered")
    ORDER_PLACED = "order_placed", _("Order placed")
    TICKET_SOLVED = "ticket_solved", _("Ticket solved")
    EVENT_ATTENDED = "event_attended", _("Event attended")
    CUSTOMER_LAPSED = "customer_lapsed", _("Customer lapsed")
    MANUAL = "manual", _("Sent to a segment")
    JOURNEY = "journey", _("A journey step")


class ChurnReason(models.TextChoices):
    """Why a customer left (seed 002, 3.5: 价格/服务/产品/竞品)."""

    PRICE = "price", pgettext_lazy("churn reason", "Price")
    SERVICE = "service", pgettext_lazy("churn reason", "Service")
    PRODUCT = "product", pgettext_lazy("churn reason", "Product")
    COMPETITOR = "competitor", pgettext_lazy("churn reason", "Competitor")
    NOT_NEEDED = "not_needed", pgettext_lazy("churn reason", "No longer needed")
    OTHER = "other", pgettext_lazy("churn reason", "Other")


class NpsGroup(models.TextChoices):
    PROMOTER = "promoter", _("Promoter")
    PASSIVE = "passive", _("Passive")
    DETRACTOR = "detractor", _("Detractor")


#: The trigger each kind is sent after by default.
DEFAULT_TRIGGERS: dict[str, tuple[str, ...]] = {
    SurveyKind.NPS: (Trigger.ORDER_DELIVERED, Trigger.EVENT_ATTENDED),
    SurveyKind.CSAT: (Trigger.TICKET_SOLVED, Trigger.ORDER_DELIVERED),
    SurveyKind.CHURN: (Trigger.CUSTOMER_LAPSED,),
    SurveyKind.NEEDS: (),
}
