"""The labels a scoring run gives each customer (stored values are English keys)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Quadrant(models.TextChoices):
    """Current value (CV) × potential value (PV)."""

    STAR = "star", _("Star")  # 明星客户: CV high, PV high
    CASH_COW = "cash_cow", _("Cash cow")  # 金牛客户: CV high, PV low
    POTENTIAL = "potential", _("Potential")  # 潜力客户: CV low, PV high
    BASIC = "basic", _("Basic")  # 基础客户: CV low, PV low


class Stage(models.TextChoices):
    """Where a customer stands in their life with the business."""

    PROSPECT = "prospect", _("Prospect")
    NEW = "new", _("New")
    GROWING = "growing", _("Growing")
    MATURE = "mature", _("Mature")
    AT_RISK = "at_risk", _("At risk")
    LAPSED = "lapsed", _("Lapsed")


class Emotion(models.TextChoices):
    """Brand attachment (情感分层), from engagement signals."""

    FAN = "fan", _("Fan")
    ORDINARY = "ordinary", _("Ordinary")
    DRIFTING = "drifting", _("Drifting")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class FollowupStatus(models.TextChoices):
    """The run's follow-up chain (automatic tags → segment counts → warnings),
    run by the task worker after the run commits ("" = none, older runs)."""

    NONE = "", _("None")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ActionChannel(models.TextChoices):
    """Where a playbook's next action is best carried out ("" = the customer's
    preferred channel)."""

    PREFERRED = "", _("The customer's preferred channel")
    PHONE = "phone", _("Phone call")
    WECOM = "wecom", _("WeCom")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    STORE = "store", _("In store")
    EVENT = "event", _("Event")


#: Interaction kind → the settings field with its points (the emotion layer,
#: :mod:`guanxi.insights.scoring`; the settings form reads it too).
ENGAGEMENT_POINTS = {
    "visit": "points_visit",
    "login": "points_login",
    "message_opened": "points_message_opened",
    "message_clicked": "points_message_clicked",
    "community_post": "points_community_post",
    "event_attended": "points_event_attended",
    "review": "points_review",
    "complaint": "points_complaint",
}
