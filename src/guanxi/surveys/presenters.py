"""What a role sees of an answer: the customer by number or pseudonym, and
free text with phone numbers and e-mail addresses masked for roles that see
contact data masked (operations), and the customer's name too for roles that
see no personal data (analysts)."""

from __future__ import annotations

import re
from typing import Any

from guanxi.access.policies import Policy
from guanxi.customers.presenters import customer_ref
from guanxi.surveys.choices import ChurnReason, SurveyKind
from guanxi.surveys.models import Answer

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Seven or more digits, with the spaces, dashes, dots and brackets people put
# in phone numbers, optionally after a +.
_PHONE = re.compile(r"\+?\d[\d\s().\-]{5,}\d")
MASK = "***"


def text_masked(text: str, *, names: tuple[str, ...] = ()) -> str:
    """``text`` with e-mail addresses, phone numbers and ``names`` masked."""
    masked = _EMAIL.sub(MASK, text)
    masked = _PHONE.sub(MASK, masked)
    for name in names:
        if name and len(name.strip()) >= 2:
            masked = masked.replace(name.strip(), MASK)
    return masked


def answer_row(answer: Answer, *, policy: Policy, name: str = "") -> dict[str, Any]:
    def shown(text: str) -> str:
        # As a ticket's text: contact values masked for roles that see them
        # masked (operations), the name too for pseudonymous roles.
        if policy.sees_contact_data:
            return text
        return text_masked(text, names=() if policy.sees_personal_data else (name,))

    return {
        "id": answer.pk,
        "customer": customer_ref(answer.customer_id, policy=policy),
        "kind": str(SurveyKind(answer.kind).label),
        "kind_key": answer.kind,
        "score": answer.score,
        "reasons": [str(ChurnReason(r).label) for r in answer.reasons],
        "text": shown(answer.text),
        "scenario": shown(answer.scenario),
        "pain_points": shown(answer.pain_points),
        "interests": shown(answer.interests),
        "language": answer.language,
        "answered_at": answer.answered_at,
    }
