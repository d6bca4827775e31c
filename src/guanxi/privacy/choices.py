"""The vocabulary of data-subject requests and retention."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestKind(models.TextChoices):
    """What a person asked for (PIPL arts. 44-47, GDPR arts. 15-21)."""

    ACCESS = "access", _("Access (a copy of their data)")
    PORTABILITY = "portability", _("Portability (their data as files)")
    RECTIFICATION = "rectification", _("Rectification (correct their data)")
    ERASURE = "erasure", _("Erasure (delete their data)")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


class ContactKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")


class ErasureCause(models.TextChoices):
    REQUEST = "request", _("Data-subject request")
    RETENTION = "retention", _("Retention limit")
