"""Which language version of a text a customer gets: their own language
(``Customer.language``, empty: the business's ``LANGUAGE_CODE``) when the
text has it, otherwise the one the text has.

A stored template has a Chinese and an English version (one may be empty); a
broadcast keeps both (``Broadcast.language`` names the first), and each
message picks its customer's when it is rendered, so queueing a million
stays one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from guanxi.customers.selectors import business_language, customer_language
from guanxi.messaging.models import Broadcast
from guanxi.messaging.rendering import MessageTemplate

__all__ = [
    "LANGUAGES",
    "broadcast_text_in",
    "broadcast_version",
    "language_chosen",
    "language_label",
    "language_wanted",
    "other_language",
]

#: Django's codes of the languages a text can be written in.
LANGUAGES = ("zh-hans", "en")


def other_language(language: str) -> str:
    return "en" if language == "zh-hans" else "zh-hans"


def language_wanted(customer: Any = None) -> str:
    """The language ``customer`` reads (None: the business's)."""
    return business_language() if customer is None else customer_language(customer)


def language_chosen(*, wanted: str, available: Sequence[str]) -> str:
    """``wanted`` if the text is ``available`` in it, otherwise the first
    language it is available in ("" when none)."""
    if wanted in available:
        return wanted
    return available[0] if available else ""


def broadcast_version(
    broadcast: Broadcast, customer: Any
) -> tuple[str, MessageTemplate]:
    """The language and text of ``broadcast`` that ``customer`` gets."""
    first = MessageTemplate(subject=broadcast.subject, body=broadcast.body)
    if not broadcast.language or not broadcast.body_other.strip():
        return broadcast.language, first
    other = other_language(broadcast.language)
    chosen = language_chosen(
        wanted=language_wanted(customer), available=(broadcast.language, other)
    )
    if chosen == broadcast.language:
        return chosen, first
    return other, MessageTemplate(
        subject=broadcast.subject_other, body=broadcast.body_other
    )


def broadcast_text_in(broadcast: Broadcast, language: str) -> MessageTemplate:
    """The version of ``broadcast`` in ``language`` if it has one, otherwise
    its first."""
    if language and language != broadcast.language and broadcast.body_other.strip():
        return MessageTemplate(
            subject=broadcast.subject_other, body=broadcast.body_other
        )
    return MessageTemplate(subject=broadcast.subject, body=broadcast.body)


def language_label(language: str) -> str:
    """A language code in words ("" : "")."""
    if language == "zh-hans":
        return str(_("Chinese"))
    if language == "en":
        return str(_("English"))
    return ""
