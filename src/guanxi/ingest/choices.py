from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    ORDERS = "orders", _("Orders")
    INTERACTIONS = "interactions", _("Interactions")


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")


class JobFailure(models.TextChoices):
    """Why a job failed; what the wizard says and whether it may run again."""

    ERROR = "error", _("Internal error")
    WORKER_LOST = "worker_lost", _("Task worker stopped")
    ABANDONED = "abandoned", _("Upload expired")


class ImportMode(models.TextChoices):
    """What a confirmed import does with rows that have problems."""

    ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")
    GOOD_ROWS = "good_rows", _("Import the good rows, return the bad ones as a file")
