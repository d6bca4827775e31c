"""How a need looks on the list, its page and the API, and its example
texts as a role may read them: masked exactly as the ticket inbox masks
(``guanxi.feedback.presenters.ticket_text``: phone numbers and e-mail
addresses for roles without full contact data, the customer's name too for
roles that see no personal data)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from guanxi.access.policies import Policy
from guanxi.customers.presenters import customer_ref
from guanxi.customers.selectors import customer_rows, interaction_rows
from guanxi.feedback.presenters import ticket_text
from guanxi.feedback.selectors import ticket_text_rows
from guanxi.needs.choices import NeedStatus, TextSource
from guanxi.needs.models import Need, NeedMention
from guanxi.surveys.selectors import answer_text_rows

__all__ = ["EXCERPT", "need_examples", "need_row"]

EXCERPT = 300


def need_row(need: Need) -> dict[str, Any]:
    """A need's figures (no personal data)."""
    return {
        "pk": need.pk,
        "url": reverse("needs:detail", args=[need.pk]),
        "term": need.term,
        "status": NeedStatus(need.status).label,
        "status_value": need.status,
        "topic": need.topic,
        "topic_terms": list(need.topic_terms or []),
        "phrases": list(need.phrases or []),
        "texts": need.texts,
        "customers": need.customers,
        "revenue": f"{need.revenue:.2f}",
        "negative": round(need.negative, 3),
        "negative_percent": round(need.negative_share * 100),
        "trend": dict(need.trend or {}),
        "mined_at": (
            timezone.localtime(need.mined_at).strftime("%Y-%m-%d %H:%M")
            if need.mined_at
            else ""
        ),
    }


def _texts(mentions: list[NeedMention]) -> dict[tuple[str, int], str]:
    wanted: dict[str, list[int]] = {}
    for m in mentions:
        wanted.setdefault(m.source, []).append(m.source_id)
    found: dict[tuple[str, int], str] = {}
    if TextSource.TICKET in wanted:
        for pk, _c, _at, text, _i in ticket_text_rows(ids=wanted[TextSource.TICKET]):
            found[(TextSource.TICKET, pk)] = text
    if TextSource.ANSWER in wanted:
        for pk, _c, _at, text in answer_text_rows(ids=wanted[TextSource.ANSWER]):
            found[(TextSource.ANSWER, pk)] = text
    if TextSource.INTERACTION in wanted:
        rows = interaction_rows().filter(pk__in=wanted[TextSource.INTERACTION])
        for pk, note in rows.values_list("id", "note"):
            found[(TextSource.INTERACTION, pk)] = note
    return found


def need_examples(
    mentions: list[NeedMention], *, policy: Policy
) -> list[dict[str, Any]]:
    """The texts of ``mentions`` (a page of them) as ``policy`` may read them."""
    texts = _texts(mentions)
    customers = {
        c.pk: c
        for c in customer_rows().filter(pk__in={m.customer_id for m in mentions})
    }
    rows = []
    for m in mentions:
        customer = customers.get(m.customer_id)
        raw = texts.get((m.source, m.source_id), "")
        text = ticket_text(raw, customer=customer, policy=policy)
        if len(text) > EXCERPT:
            text = text[:EXCERPT] + "…"
        rows.append(
            {
                "source": TextSource(m.source).label,
                "source_value": m.source,
                "source_id": m.source_id,
                "url": (
                    reverse("feedback:ticket", args=[m.source_id])
                    if m.source == TextSource.TICKET
                    else None
                ),
                "customer": customer_ref(m.customer_id, policy=policy),
                "customer_url": (
                    reverse("customers:customer-detail", args=[m.customer_id])
                    if policy.knows_customer_numbers
                    else None
                ),
                "month": m.month,
                "negative": round(m.negative, 2),
                "text": text,
            }
        )
    return rows
