"""The needs list (显性需求清单): what customers ask for, mined from their
tickets, survey answers, reviews and notes.

Personal data: :class:`NeedMention` (a customer link: which customer's text
named a need) and :class:`NeedNotice` (a customer told that a need was met).
:class:`Need`, :class:`NeedSynonym` and :class:`MiningRun` hold none: a need
is a word and counts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.needs.choices import NeedStatus, TextSource


class Need(models.Model):
    """One need, named by its canonical term (``物流``). The figures are
    those of the latest mining run; the status is the staff's."""

    term = models.CharField(pgettext_lazy("need", "term"), max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=NeedStatus.choices, default=NeedStatus.NEW
    )
    topic = models.PositiveSmallIntegerField(_("topic"), null=True, blank=True)
    topic_terms = models.JSONField(_("topic"), default=list, blank=True)
    phrases = models.JSONField(_("phrases"), default=list, blank=True)
    texts = models.PositiveIntegerField(pgettext_lazy("need", "texts"), default=0)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    revenue = models.DecimalField(
        _("revenue"), max_digits=14, decimal_places=2, default=0
    )
    #: Mean probability that its texts are negative (0–1).
    negative = models.FloatField(_("negative"), default=0.5)
    negative_share = models.FloatField(_("share negative"), default=0.0)
    #: Texts per month: ``{"2026-11": 12}``.
    trend = models.JSONField(_("trend"), default=dict, blank=True)
    mined_at = models.DateTimeField(_("mined"), null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-customers", "term"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        indexes = [
            models.Index(fields=["-customers", "term"], name="need_customers_idx"),
            models.Index(fields=["-revenue", "term"], name="need_revenue_idx"),
        ]

    def __str__(self) -> str:
        return self.term


class NeedSynonym(models.Model):
    """A word counted as another need's term (an admin's merge: ``快递`` →
    ``物流``)."""

    term = models.CharField(pgettext_lazy("need", "term"), max_length=64, unique=True)
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="synonyms")
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["term"]
        verbose_name = _("synonym")
        verbose_name_plural = _("synonyms")

    def __str__(self) -> str:
        return f"{self.term} → {self.need_id}"


class NeedMention(models.Model):
    """One text that names a need: a ticket, a survey answer or an
    interaction (review, complaint, note) of a customer."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="mentions")
    source = models.CharField(_("source"), max_length=12, choices=TextSource.choices)
    source_id = models.BigIntegerField()
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("customer"),
    )
    month = models.CharField(max_length=7)
    negative = models.FloatField(default=0.5)

    class Meta:
        ordering = ["-source_id"]
        verbose_name = _("need mention")
        verbose_name_plural = _("need mentions")
        constraints = [
            models.UniqueConstraint(
                fields=["need", "source", "source_id"],
                name="need_mention_unique",
                violation_error_message=_("This text is already linked to the need."),
            )
        ]
        indexes = [
            models.Index(fields=["source", "source_id"], name="need_mention_source_idx")
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id}"


class NeedNotice(models.Model):
    """A customer told that a need they raised was met (once per customer
    per need); ``message_id``: the message in the outbox."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="notices")
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("customer"),
    )
    message_id = models.BigIntegerField(null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=8)
    sent_at = models.DateTimeField(_("sent"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("need notice")
        verbose_name_plural = _("need notices")
        constraints = [
            models.UniqueConstraint(
                fields=["need", "customer"],
                name="need_notice_unique",
                violation_error_message=_("This customer was already told."),
            )
        ]

    def __str__(self) -> str:
        return f"notice:{self.pk}"


class MiningRun(models.Model):
    """One mining of the texts: when, from which day, how many."""

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    since = models.DateField(_("since"), null=True, blank=True)
    texts = models.PositiveIntegerField(pgettext_lazy("need", "texts"), default=0)
    needs = models.PositiveIntegerField(_("needs"), default=0)
    seconds = models.FloatField(default=0.0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("mining run")
        verbose_name_plural = _("mining runs")

    def __str__(self) -> str:
        return f"run:{self.pk}"
