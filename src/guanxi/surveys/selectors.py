"""Reads of surveys: the surveys, and invitations and answers in the
caller's scope (an account manager: their own customers' only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.access.policies import scope_for
from guanxi.core.errors import NotFound
from guanxi.surveys.choices import SurveyKind
from guanxi.surveys.models import Answer, Invitation, Survey

__all__ = [
    "answer_scope",
    "invitation_scope",
    "survey_get",
    "survey_list",
]


def survey_list() -> QuerySet[Survey]:
    """The four surveys (they hold no personal data)."""
    return Survey.objects.order_by("id")


def survey_get(*, kind: Any) -> Survey:
    value = str(kind or "")
    found = (
        Survey.objects.filter(kind=value).first()
        if value in SurveyKind.values
        else None
    )
    if found is None:
        raise NotFound(_("No such survey."))
    return found


def invitation_scope(*, actor: Any) -> QuerySet[Invitation]:
    return scope_for(actor).apply(Invitation.objects.all(), via="customer")


def answer_scope(*, actor: Any) -> QuerySet[Answer]:
    return scope_for(actor).apply(Answer.objects.all(), via="customer")
