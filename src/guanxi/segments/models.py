"""A segment (a saved rule tree over customers) and its member count per run.

The rules are a small JSON tree (see :mod:`guanxi.segments.rules`), checked and
normalised by the services before they are stored. A :class:`SegmentCount`
records how many customers (all of them, whatever the viewer's scope) were
members as of a scoring run's date, so a segment's share can be followed over
time; it is written once per segment and date (running a date again rewrites
it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Segment(models.Model):
    """A saved filter over customers: profile fields, tags and the latest scores."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True, default="")
    rules = models.JSONField(_("rules"), default=dict)
    #: Shipped with Guanxi (editable like any other).
    is_default = models.BooleanField(_("shipped default"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                name="segment_name_unique",
                violation_error_message=_("A segment with this name already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("segments:segment-detail", args=[self.pk])


class SegmentCount(models.Model):
    """How many customers were members of a segment as of a scoring run's date."""

    segment = models.ForeignKey(
        Segment,
        on_delete=models.CASCADE,
        related_name="counts",
        verbose_name=_("segment"),
        db_index=False,  # the unique (segment, as_of) index serves it
    )
    as_of = models.DateField(_("as of"))
    members = models.PositiveIntegerField(_("members"))
    #: Every customer at the time (the denominator of the share).
    customers = models.PositiveIntegerField(_("customers"))
    counted_at = models.DateTimeField(_("counted"), auto_now=True)

    class Meta:
        ordering = ["segment_id", "as_of"]
        verbose_name = _("segment count")
        verbose_name_plural = _("segment counts")
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "as_of"], name="segment_count_once_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.segment_id} @ {self.as_of}: {self.members}/{self.customers}"

    @property
    def share(self) -> float:
        """Members as a share of all customers (0–1)."""
        return self.members / self.customers if self.customers else 0.0
