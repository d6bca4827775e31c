"""The words of feedback tickets: category, status, priority, channel."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Category(models.TextChoices):
    COMPLAINT = "complaint", pgettext_lazy("ticket category", "Complaint")
    SUGGESTION = "suggestion", pgettext_lazy("ticket category", "Suggestion")
    QUESTION = "question", pgettext_lazy("ticket category", "Question")
    PRAISE = "praise", pgettext_lazy("ticket category", "Praise")


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("ticket status", "Acknowledged")
    IN_PROGRESS = "in_progress", pgettext_lazy("ticket status", "In progress")
    SOLVED = "solved", pgettext_lazy("ticket status", "Solved")
    CONFIRMED = "confirmed", pgettext_lazy("ticket status", "Confirmed")
    CLOSED_UNSOLVED = (
        "closed_unsolved",
        pgettext_lazy("ticket status", "Closed unsolved"),
    )


#: Where each status may go next. A solved ticket the customer says is not
#: solved goes back to in progress.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(
        {Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.SOLVED, Status.CLOSED_UNSOLVED}
    ),
    Status.ACKNOWLEDGED: frozenset(
        {Status.IN_PROGRESS, Status.SOLVED, Status.CLOSED_UNSOLVED}
    ),
    Status.IN_PROGRESS: frozenset({Status.SOLVED, Status.CLOSED_UNSOLVED}),
    Status.SOLVED: frozenset({Status.CONFIRMED, Status.IN_PROGRESS}),
    Status.CONFIRMED: frozenset(),
    Status.CLOSED_UNSOLVED: frozenset(),
}

#: Statuses whose clocks still run.
OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS)


class Priority(models.TextChoices):
    HIGH = "high", pgettext_lazy("ticket priority", "High")
    NORMAL = "normal", pgettext_lazy("ticket priority", "Normal")
    LOW = "low", pgettext_lazy("ticket priority", "Low")


class Channel(models.TextChoices):
    PHONE = "phone", pgettext_lazy("ticket channel", "Phone")
    EMAIL = "email", pgettext_lazy("ticket channel", "E-mail")
    WECHAT = "wechat", pgettext_lazy("ticket channel", "WeCom/WeChat")
    STORE = "store", pgettext_lazy("ticket channel", "In store")
    WEB = "web", pgettext_lazy("ticket channel", "Feedback form")
    API = "api", pgettext_lazy("ticket channel", "API")
    IMPORT = "import", pgettext_lazy("ticket channel", "Imported interaction")


class Source(models.TextChoices):
    STAFF = "staff", _("Staff")
    API = "api", _("API")
    PUBLIC = "public", pgettext_lazy("ticket source", "Public form")
    INTERACTION = "interaction", pgettext_lazy("ticket source", "Interaction")
    EMAIL = "email", pgettext_lazy("ticket source", "E-mail")


class EntryKind(models.TextChoices):
    REPLY = "reply", pgettext_lazy("ticket entry", "Reply")
    NOTE = "note", pgettext_lazy("ticket entry", "Internal note")
    CUSTOMER = "customer", pgettext_lazy("ticket entry", "Customer")
    STATUS = "status", pgettext_lazy("ticket entry", "Status change")
    ESCALATION = "escalation", pgettext_lazy("ticket entry", "Escalation")
    BREACH = "breach", pgettext_lazy("ticket entry", "SLA breach")
    NOTICE = "notice", pgettext_lazy("ticket entry", "Progress notice")


class HoursMode(models.TextChoices):
    CALENDAR = "calendar", _("Calendar hours")
    BUSINESS = "business", _("Business hours")


class AttachmentSource(models.TextChoices):
    """Who or what added an attachment to a ticket."""

    STAFF = "staff", pgettext_lazy("attachment source", "Staff")
    PUBLIC = "public", pgettext_lazy("attachment source", "Customer (form)")
    EMAIL = "email", pgettext_lazy("attachment source", "E-mail")
    API = "api", pgettext_lazy("attachment source", "API")


#: Files the customer sent themselves (their ticket page shows these only).
CUSTOMER_ATTACHMENT_SOURCES = (AttachmentSource.PUBLIC, AttachmentSource.EMAIL)
