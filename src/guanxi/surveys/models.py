"""Surveys, the invitations sent to customers and their answers.

Personal data: :class:`Invitation` (a customer link; no free text) and
:class:`Answer` (a customer link and the free texts ``text``,
``scenario``, ``pain_points``, ``interests``, encrypted at rest). :class:`Survey` holds none.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.fields import EncryptedNoteField
from guanxi.customers.models import Customer
from guanxi.surveys.choices import SurveyKind, Trigger


class Survey(models.Model):
    """One survey per kind: its texts in both languages (editable by admins,
    shipped from the seed documents), the channel and purpose its invitations
    go out on and the triggers that send it."""

    kind = models.CharField(
        _("kind"), max_length=8, choices=SurveyKind.choices, unique=True
    )
    active = models.BooleanField(_("active"), default=True)
    channel = models.CharField(_("channel"), max_length=8, default="email")
    purpose = models.CharField(_("purpose"), max_length=12, default="service")
    #: ``{"zh-hans": {key: text}, "en": {key: text}}`` (keys: surveys.defaults).
    texts = models.JSONField(_("texts"), default=dict)
    #: The :class:`~guanxi.surveys.choices.Trigger` values that send it.
    triggers = models.JSONField(_("triggers"), default=list)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return str(self.kind)

    @property
    def trigger_labels(self) -> list[str]:
        return [str(Trigger(t).label) for t in self.triggers if t in Trigger.values]


class Invitation(models.Model):
    """One customer asked to answer one survey: a signed link (the token
    carries the id, the customer and ``nonce``) valid until ``expires_at``,
    answered at most once. ``store`` and ``staff`` are what the answer is
    reported under (the order's store, the ticket's owner or the account
    manager when it was sent)."""

    survey = models.ForeignKey(
        Survey, on_delete=models.PROTECT, related_name="invitations"
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="survey_invitations",
        verbose_name=_("customer"),
        db_index=False,  # survey_invitation_customer_idx
    )
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    language = models.CharField(_("language"), max_length=8, default="zh-hans")
    nonce = models.CharField(max_length=16)
    store = models.CharField(_("store"), max_length=64, blank=True, default="")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    message_id = models.BigIntegerField(_("message"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [
            models.Index(
                fields=["customer", "created_at"],
                name="survey_invitation_customer_idx",
            ),
            models.Index(fields=["survey", "created_at"], name="survey_invitation_idx"),
        ]

    def __str__(self) -> str:
        return f"invitation:{self.pk}"


class Answer(models.Model):
    """What a customer answered (one per invitation)."""

    invitation = models.OneToOneField(
        Invitation, on_delete=models.CASCADE, related_name="answer"
    )
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="survey_answers",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind.choices)
    #: NPS 0–10, CSAT 1–5; empty for the churn and needs surveys.
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    #: Churn reasons (:class:`~guanxi.surveys.choices.ChurnReason`), one or two.
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    #: The NPS reason, the CSAT comment, the churn survey's own words.
    #: The free texts are encrypted at rest (read them through
    #: ``surveys.selectors.answer_texts`` or the model; never filter by value).
    text = EncryptedNoteField(_("text"), default="")
    scenario = EncryptedNoteField(_("usage scenario"), default="")
    pain_points = EncryptedNoteField(_("pain points"), default="")
    interests = EncryptedNoteField(_("interests"), default="")
    language = models.CharField(_("language"), max_length=8, default="zh-hans")
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)

    class Meta:
        ordering = ["-answered_at", "-id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [
            models.Index(fields=["kind", "answered_at"], name="survey_answer_kind_idx")
        ]

    def __str__(self) -> str:
        return f"answer:{self.pk}"
