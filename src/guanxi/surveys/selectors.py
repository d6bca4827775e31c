"""Reads of surveys: the surveys, and invitations and answers in the
caller's scope (an account manager: their own customers' only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.access.policies import scope_for
from guanxi.core.errors import NotFound
from guanxi.surveys.choices import SurveyKind
from guanxi.surveys.models import Answer, Invitation, Survey

__all__ = [
    "answer_scope",
    "answer_texts",
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


#: The free-text fields of an answer, in the order they are joined.
ANSWER_TEXT_FIELDS = ("text", "scenario", "pain_points", "interests")


def answer_texts(
    *, since: dt.datetime | None = None, ids: list[int] | None = None
) -> Iterator[tuple[int, int, dt.datetime, str]]:
    """``(id, customer id, answered, free text)`` of every answer with free
    text (answered at ``since`` or later; or of ``ids``), unscoped, by id, the
    free-text fields joined by new lines: for the needs list's mining and its
    example texts. The one place other apps read answer texts."""
    qs = Answer.objects.order_by("id")
    if since is not None:
        qs = qs.filter(answered_at__gte=since)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    rows = qs.values_list("id", "customer_id", "answered_at", *ANSWER_TEXT_FIELDS)
    return (
        (pk, customer, at, "\n".join(t for t in texts if t))
        for pk, customer, at, *texts in rows.iterator(chunk_size=2000)
        if any(texts)
    )
