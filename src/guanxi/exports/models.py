"""A record of every export: who took which data, in which form, how many rows.

Exports from the command line write their file at once; exports asked for in
the browser are queued, built by a worker (``exports.background``) into a
private file under ``DATA_DIR/exports`` and served to the person who asked.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.fields import EncryptedNoteField


class ExportRecord(models.Model):
    """One export run. Holds no personal data of customers, only who and what."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exported by"),
    )
    actor_label = models.CharField(_("exported by (name)"), max_length=150)
    role = models.CharField(_("role"), max_length=32)
    kind = models.CharField(_("data"), max_length=32)
    format = models.CharField(_("format"), max_length=8)
    destination = models.CharField(_("destination"), max_length=500)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.RUNNING
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    # Encrypted: a list query may search for a phone number or a name.
    query = EncryptedNoteField(
        _("filter"),
        default="",
        help_text=_("The list's query string the export was asked for with."),
    )
    language = models.CharField(_("language"), max_length=16, blank=True)
    for_people = models.BooleanField(
        _("for people"),
        default=False,
        help_text=_("Headers and values in words, in the language asked for."),
    )
    total = models.PositiveIntegerField(_("rows expected"), null=True, blank=True)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("export record")
        verbose_name_plural = _("export records")

    def __str__(self) -> str:
        return f"{self.kind}.{self.format} by {self.actor_label}"
