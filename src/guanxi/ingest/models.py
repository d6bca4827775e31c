"""Saved column mappings and the import jobs started from the web wizard."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.ingest.choices import ImportKind, ImportMode, JobFailure, JobStatus


class ImportPreset(models.Model):
    """A column mapping saved under a name, for files that keep coming in one layout."""

    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    mapping = models.JSONField(_("mapping"), default=dict)
    source = models.CharField(_("source"), max_length=32, default="import")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("import preset")
        verbose_name_plural = _("import presets")
        constraints = [
            models.UniqueConstraint(
                fields=["name", "kind"],
                name="import_preset_unique",
                violation_error_message=_("A preset with this name already exists."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


# Jobs that may be queued: just uploaded, or cut short by a dead task worker
# (their file is kept for that). ImportJob.may_run says the same of one job.
RUNNABLE_JOBS = models.Q(status=JobStatus.UPLOADED) | models.Q(
    status=JobStatus.FAILED, failure=JobFailure.WORKER_LOST
)


class ImportJob(models.Model):
    """One upload going through the wizard: mapping, preview, then the import."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=JobStatus.choices,
        default=JobStatus.UPLOADED,
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    preset = models.CharField(_("preset"), max_length=64, default="generic")
    source = models.CharField(_("source"), max_length=32, default="import")
    mapping = models.JSONField(_("mapping"), default=dict)
    headers = models.JSONField(_("headers"), default=list)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    report = models.JSONField(_("report"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The lease (guanxi.ingest.leases): set when a worker claims the job; the
    # running import then beats in a file beside the uploads.
    heartbeat_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    failure = models.CharField(
        _("failure"), max_length=16, choices=JobFailure.choices, blank=True
    )
    mode = models.CharField(
        _("mode"),
        max_length=16,
        choices=ImportMode.choices,
        default=ImportMode.ALL_OR_NOTHING,
    )
    #: The rows a good-rows import left out, each with its problems, in the
    #: upload's format; kept for ``REJECTS_KEEP`` (guanxi.ingest.leases).
    rejects = models.FileField(
        _("rejected rows"), upload_to="imports/rejects/", blank=True
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"{self.kind} {self.original_name} ({self.status})"

    @property
    def may_run(self) -> bool:
        """Waiting to be run: just uploaded, or cut short by a dead worker (its
        file is kept for that)."""
        return self.status == JobStatus.UPLOADED or (
            self.status == JobStatus.FAILED and self.failure == JobFailure.WORKER_LOST
        )

    @property
    def rejected_in_preview(self) -> bool:
        """Waiting, but its preview found problems: nothing can be imported as
        the file stands (unless the good rows are imported alone)."""
        return self.status == JobStatus.UPLOADED and bool(
            (self.report or {}).get("errors_total")
        )

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == JobStatus.DONE else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))
