"""Reads of surveys: the surveys, and invitations and answers in the
caller's scope (an account manager: their own customers' only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.access.policies import scope_for
from guanxi.core.errors import NotFound
from guanxi.surveys.choices import SurveyKind
from guanxi.surveys.models import Answer, Invitation, Survey

__all__ = [
    "AnswerText",
    "answer_scope",
    "answer_text_rows",
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


#: The free-text fields of an answer (encrypted at rest).
ANSWER_TEXT_FIELDS = ("text", "scenario", "pain_points", "interests")


@dataclass(frozen=True)
class AnswerText:
    """One free text of one answer, decrypted; ``field`` names which
    (``text``: the NPS reason, CSAT comment or churn survey's words)."""

    answer_id: int
    customer_id: int
    kind: str
    field: str
    at: dt.datetime
    text: str


def answer_texts(
    *,
    actor: Any,
    since: dt.datetime | None = None,
    kinds: list[str] | None = None,
    batch: int = 1000,
) -> Iterator[AnswerText]:
    """The free texts of answers, decrypted, oldest first, empty ones left
    out. Encrypted at rest: any search over them happens here, in Python,
    never in SQL. ``actor`` None: the system (a background job), every
    answer; else the actor's scope. Read in batches (bounded memory)."""
    qs = Answer.objects.all() if actor is None else answer_scope(actor=actor)
    if since is not None:
        qs = qs.filter(answered_at__gte=since)
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    rows = (
        qs.order_by("answered_at", "pk")
        .values_list("pk", "customer_id", "kind", "answered_at", *ANSWER_TEXT_FIELDS)
        .iterator(chunk_size=batch)
    )
    for pk, customer, kind, at, *texts in rows:
        for field, text in zip(ANSWER_TEXT_FIELDS, texts, strict=True):
            if text:
                yield AnswerText(pk, customer, kind, field, at, text)


def answer_text_rows(
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
