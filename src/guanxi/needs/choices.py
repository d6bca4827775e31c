"""The needs list's vocabulary: a need's status and where a text came from."""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy


class NeedStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("need", "New")
    PLANNED = "planned", pgettext_lazy("need", "Planned")
    DONE = "done", pgettext_lazy("need", "Done")
    DISMISSED = "dismissed", pgettext_lazy("need", "Dismissed")


class TextSource(models.TextChoices):
    """Where a mined text came from."""

    TICKET = "ticket", pgettext_lazy("need source", "Ticket")
    ANSWER = "answer", pgettext_lazy("need source", "Survey answer")
    INTERACTION = "interaction", pgettext_lazy("need source", "Review or note")


class NeedOrder(models.TextChoices):
    """How the list is ranked."""

    CUSTOMERS = "customers", pgettext_lazy("need order", "Customers")
    REVENUE = "revenue", pgettext_lazy("need order", "Revenue")
    TEXTS = "texts", pgettext_lazy("need order", "Texts")
